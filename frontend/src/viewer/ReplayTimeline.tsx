import type { Product } from "../api/types";
import type { ScheduledHighlight } from "../lib/highlights";

/** Highlights of a replay on a clickable bar: each marker jumps to the moment it was shown. */
export function ReplayTimeline({
  span,
  highlights,
  products,
  playingDate,
  onSeek,
}: {
  span: { start: number; end: number } | null;
  highlights: ScheduledHighlight[];
  products: Product[];
  playingDate: number | null;
  onSeek: (ms: number) => void;
}) {
  if (!highlights.length) return null;
  const byId = new Map(products.map((p) => [p.id, p]));
  const start = span?.start ?? highlights[0]!.start;
  const end = Math.max(span?.end ?? highlights[highlights.length - 1]!.start + 60_000, start + 1);
  const pct = (ms: number) => `${Math.min(100, Math.max(0, ((ms - start) / (end - start)) * 100))}%`;
  const fmt = (ms: number) => {
    const s = Math.max(0, Math.round((ms - start) / 1000));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  };
  return (
    <nav className="replay" aria-label="Products in this replay">
      <div className="replay-bar" aria-hidden="true">
        {playingDate != null && <span className="replay-head" style={{ left: pct(playingDate) }} />}
        {highlights.map((h) => (
          <span key={h.highlightId} className="replay-mark" style={{ left: pct(h.start) }} />
        ))}
      </div>
      <ol className="replay-list">
        {highlights.map((h) => (
          <li key={h.highlightId}>
            <button type="button" className="chip" onClick={() => onSeek(h.start)}>
              <span className="chip-time">{fmt(h.start)}</span>
              {byId.get(h.productId)?.title ?? "Product"}
            </button>
          </li>
        ))}
      </ol>
    </nav>
  );
}
