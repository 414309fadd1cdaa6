// Which product card to show: the highlight whose program-date-time the playhead has reached.
// Highlights come from three places that may disagree only in timing: the timeline API (replays and
// late joiners), `highlight` events (live), and EXT-X-DATERANGE tags in the playlist. They are
// merged by highlight id; the card appears when the player's playingDate reaches the start, so
// card and frame appear together however far behind live the viewer is.

export interface ScheduledHighlight {
  highlightId: string;
  productId: number;
  start: number; // program-date-time, ms since the epoch
  end: number | null; // the next highlight's start, or null
}

export interface HighlightSource {
  highlightId: string;
  productId: number;
  start: string | number | Date;
}

function toMs(value: string | number | Date): number {
  if (typeof value === "number") return value;
  if (value instanceof Date) return value.getTime();
  return Date.parse(value);
}

/** Adds highlights (by id, the first start seen wins) and returns them in stream order with ends. */
export function mergeHighlights(
  known: ScheduledHighlight[],
  incoming: HighlightSource[],
): ScheduledHighlight[] {
  const byId = new Map(known.map((h) => [h.highlightId, { ...h }]));
  for (const h of incoming) {
    const start = toMs(h.start);
    if (!Number.isFinite(start) || byId.has(h.highlightId)) continue;
    byId.set(h.highlightId, { highlightId: h.highlightId, productId: h.productId, start, end: null });
  }
  const ordered = [...byId.values()].sort(
    (a, b) => a.start - b.start || a.highlightId.localeCompare(b.highlightId),
  );
  return ordered.map((h, i) => ({ ...h, end: ordered[i + 1]?.start ?? null }));
}

/** The highlight on screen at `playingDate` (ms), or null before the first one. */
export function activeHighlight(
  highlights: ScheduledHighlight[],
  playingDate: number | null,
): ScheduledHighlight | null {
  if (playingDate == null || !Number.isFinite(playingDate)) return null;
  let found: ScheduledHighlight | null = null;
  for (const h of highlights) {
    if (h.start > playingDate) break;
    found = h;
  }
  if (found && found.end != null && found.end <= playingDate) return null;
  return found;
}

/** Milliseconds of playback until the next highlight starts, or null when none is ahead. */
export function untilNextHighlight(
  highlights: ScheduledHighlight[],
  playingDate: number | null,
): number | null {
  if (playingDate == null) return null;
  const next = highlights.find((h) => h.start > playingDate);
  return next ? next.start - playingDate : null;
}

/** Highlights the viewer has already reached (for "shown in this show" in the product rail). */
export function reachedProductIds(
  highlights: ScheduledHighlight[],
  playingDate: number | null,
): Set<number> {
  const ids = new Set<number>();
  if (playingDate == null) return ids;
  for (const h of highlights) if (h.start <= playingDate) ids.add(h.productId);
  return ids;
}

export interface FragmentTiming {
  start: number; // seconds on the media timeline
  duration: number;
  programDateTime: number | null; // ms since the epoch
}

/**
 * The media time (seconds) at which a program-date-time plays, for seeking a replay to a
 * highlight. Uses the fragment whose program-date-time interval holds the date (fragments after a
 * discontinuity carry their own date), clamped to the stream.
 */
export function mediaTimeForDate(fragments: FragmentTiming[], date: number): number | null {
  const dated = fragments.filter((f) => f.programDateTime != null);
  if (!dated.length) return null;
  let best = dated[0]!;
  for (const f of dated) {
    if (f.programDateTime! <= date) best = f;
    else break;
  }
  const offset = (date - best.programDateTime!) / 1000;
  const clamped = Math.min(Math.max(offset, 0), best.duration || offset);
  return best.start + clamped;
}

/** The program-date-time (ms) that plays at media time `time` (inverse of mediaTimeForDate). */
export function dateForMediaTime(fragments: FragmentTiming[], time: number): number | null {
  let best: FragmentTiming | null = null;
  for (const f of fragments) {
    if (f.programDateTime == null) continue;
    if (f.start <= time) best = f;
    else break;
  }
  if (!best) return null;
  return best.programDateTime! + (time - best.start) * 1000;
}
