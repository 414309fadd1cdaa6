import { describe, expect, it } from "vitest";
import { bitrateBetween, formatBitrate, presetById, streamHealth, videoConstraints } from "./quality";

describe("broadcast quality", () => {
  it("computes bitrate from outbound-rtp samples", () => {
    expect(bitrateBetween({ timestamp: 0, bytesSent: 0 }, { timestamp: 1000, bytesSent: 250_000 })).toBe(2_000_000);
    expect(bitrateBetween({ timestamp: 1000, bytesSent: 5 }, { timestamp: 1000, bytesSent: 9 })).toBe(0);
    expect(bitrateBetween({ timestamp: 0, bytesSent: 9 }, { timestamp: 1000, bytesSent: 5 })).toBe(0);
  });
  it("formats bitrate", () => {
    expect(formatBitrate(2_450_000)).toBe("2.5 Mbit/s");
    expect(formatBitrate(640_000)).toBe("640 kbit/s");
  });
  it("judges health", () => {
    const hd = presetById("standard");
    expect(streamHealth(2_000_000, 30, hd)).toBe("good");
    expect(streamHealth(800_000, 30, hd)).toBe("fair");
    expect(streamHealth(2_000_000, 5, hd)).toBe("poor");
  });
  it("builds camera constraints with the chosen device", () => {
    expect(videoConstraints(presetById("high"), "cam2")).toMatchObject({
      deviceId: { exact: "cam2" },
      width: { ideal: 1920 },
    });
    expect(presetById("nonsense").id).toBe("standard");
  });
});
