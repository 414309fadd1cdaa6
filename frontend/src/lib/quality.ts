// Broadcast quality presets for going live from the browser.

export interface QualityPreset {
  id: "low" | "standard" | "high";
  label: string;
  width: number;
  height: number;
  frameRate: number;
  maxBitrate: number; // bits per second, video
}

export const QUALITY_PRESETS: QualityPreset[] = [
  { id: "low", label: "Data saver · 480p", width: 854, height: 480, frameRate: 30, maxBitrate: 900_000 },
  { id: "standard", label: "Standard · 720p", width: 1280, height: 720, frameRate: 30, maxBitrate: 2_500_000 },
  { id: "high", label: "High · 1080p", width: 1920, height: 1080, frameRate: 30, maxBitrate: 4_500_000 },
];

export function presetById(id: string): QualityPreset {
  return QUALITY_PRESETS.find((p) => p.id === id) ?? QUALITY_PRESETS[1]!;
}

export function videoConstraints(preset: QualityPreset, deviceId?: string): MediaTrackConstraints {
  return {
    ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
    width: { ideal: preset.width },
    height: { ideal: preset.height },
    frameRate: { ideal: preset.frameRate, max: preset.frameRate },
  };
}

export interface OutboundSample {
  timestamp: number; // ms
  bytesSent: number;
  framesEncoded?: number;
}

/** Bits per second between two outbound-rtp samples. */
export function bitrateBetween(prev: OutboundSample, cur: OutboundSample): number {
  const dt = (cur.timestamp - prev.timestamp) / 1000;
  if (dt <= 0 || cur.bytesSent < prev.bytesSent) return 0;
  return Math.round(((cur.bytesSent - prev.bytesSent) * 8) / dt);
}

export function formatBitrate(bps: number): string {
  if (bps >= 1_000_000) return `${(bps / 1_000_000).toFixed(1)} Mbit/s`;
  return `${Math.round(bps / 1000)} kbit/s`;
}

/** A health verdict for the studio: bitrate far below the target or low fps is a warning. */
export function streamHealth(
  bps: number,
  fps: number | null,
  preset: QualityPreset,
): "good" | "fair" | "poor" {
  if (bps < preset.maxBitrate * 0.15 || (fps != null && fps < 10)) return "poor";
  if (bps < preset.maxBitrate * 0.4 || (fps != null && fps < preset.frameRate * 0.6)) return "fair";
  return "good";
}
