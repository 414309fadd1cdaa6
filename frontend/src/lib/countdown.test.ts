import { describe, expect, it } from "vitest";
import {
  approximateWait,
  formatCountdown,
  fractionLeft,
  holdDeadline,
  remainingMs,
  spokenCountdown,
} from "./countdown";

describe("hold countdown", () => {
  const now = Date.parse("2026-03-01T18:00:00Z");

  it("counts down to the server's expiry", () => {
    expect(remainingMs("2026-03-01T18:10:00Z", now)).toBe(600_000);
  });

  it("corrects for a device clock that is behind the server", () => {
    // The server is 30 s ahead of this phone: 30 s of the hold are already gone.
    expect(remainingMs("2026-03-01T18:10:00Z", now, 30_000)).toBe(570_000);
  });

  it("prefers the server's seconds_left, which a wrong device clock cannot skew", () => {
    const hold = { expires_at: "2026-03-01T18:10:00Z", seconds_left: 599 };
    expect(holdDeadline(hold, now)).toBe(now + 599_000);
    expect(holdDeadline({ expires_at: "2026-03-01T18:10:00Z" }, now, 30_000)).toBe(now + 570_000);
    expect(remainingMs(holdDeadline(hold, now), now + 1_000)).toBe(598_000);
  });

  it("never goes below zero", () => {
    expect(remainingMs("2026-03-01T17:00:00Z", now)).toBe(0);
    expect(remainingMs("garbage", now)).toBe(0);
  });

  it("formats as m:ss, rounding up so 0:00 means time is up", () => {
    expect(formatCountdown(600_000)).toBe("10:00");
    expect(formatCountdown(65_001)).toBe("1:06");
    expect(formatCountdown(999)).toBe("0:01");
    expect(formatCountdown(0)).toBe("0:00");
    expect(formatCountdown(3_723_000)).toBe("1:02:03");
  });

  it("speaks the time for screen readers", () => {
    expect(spokenCountdown(61_000)).toBe("1 minute 1 second");
    expect(spokenCountdown(120_000)).toBe("2 minutes");
    expect(spokenCountdown(0)).toBe("0 seconds");
  });

  it("gives a fraction for the progress ring", () => {
    expect(fractionLeft(300_000, 600_000)).toBe(0.5);
    expect(fractionLeft(700_000, 600_000)).toBe(1);
    expect(fractionLeft(1, 0)).toBe(0);
  });

  it("describes queue waits as estimates", () => {
    expect(approximateWait(20)).toBe("less than a minute");
    expect(approximateWait(150)).toBe("about 3 minutes");
    expect(approximateWait(60)).toBe("about 1 minute");
    expect(approximateWait(null)).toBe("a little while");
  });
});
