// Countdowns for holds and queue admissions, against the server's clock.

/**
 * Milliseconds left until `deadline` (RFC 3339, server clock). `clockOffsetMs` is how far the
 * server's clock is ahead of this device's (from the channel's hello, or 0), so a phone whose clock
 * is off still shows the true remaining time.
 */
export function remainingMs(deadline: string | number, now: number, clockOffsetMs = 0): number {
  const end = typeof deadline === "number" ? deadline : Date.parse(deadline);
  if (!Number.isFinite(end)) return 0;
  return Math.max(0, end - (now + clockOffsetMs));
}

/**
 * When a hold ends, on this device's clock. The server's `seconds_left` counted from when the answer
 * arrived is immune to a wrong device clock; `expires_at` (server clock) is the fallback.
 */
export function holdDeadline(
  hold: { expires_at: string; seconds_left?: number },
  receivedAt: number,
  clockOffsetMs = 0,
): number {
  if (typeof hold.seconds_left === "number") return receivedAt + hold.seconds_left * 1000;
  return Date.parse(hold.expires_at) - clockOffsetMs;
}

/** "9:05", "0:07", "1:02:03"; rounds up so the display reaches 0:00 only when time is up. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  if (h > 0) return `${h}:${String(m).padStart(2, "0")}:${ss}`;
  return `${m}:${ss}`;
}

/** Spoken form for screen readers: "9 minutes 5 seconds". */
export function spokenCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(total / 60);
  const s = total % 60;
  const parts: string[] = [];
  if (m) parts.push(`${m} minute${m === 1 ? "" : "s"}`);
  if (s || !m) parts.push(`${s} second${s === 1 ? "" : "s"}`);
  return parts.join(" ");
}

/** "about 2 minutes", "less than a minute": for queue waits, which are estimates. */
export function approximateWait(seconds: number | null): string {
  if (seconds == null) return "a little while";
  if (seconds < 60) return "less than a minute";
  const minutes = Math.round(seconds / 60);
  return `about ${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/** The fraction of a hold still left, for a progress ring (1 = just held, 0 = expired). */
export function fractionLeft(remaining: number, totalMs: number): number {
  if (totalMs <= 0) return 0;
  return Math.min(1, Math.max(0, remaining / totalMs));
}
