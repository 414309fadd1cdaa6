import { describe, expect, it } from "vitest";
import {
  activeHighlight,
  dateForMediaTime,
  mediaTimeForDate,
  mergeHighlights,
  reachedProductIds,
  untilNextHighlight,
  type FragmentTiming,
} from "./highlights";

const T0 = Date.parse("2026-03-01T18:00:00Z");

const timeline = mergeHighlights([], [
  { highlightId: "b", productId: 2, start: new Date(T0 + 30_000).toISOString() },
  { highlightId: "a", productId: 1, start: T0 + 10_000 },
]);

describe("mergeHighlights", () => {
  it("orders by program-date-time and ends each highlight at the next one", () => {
    expect(timeline.map((h) => [h.highlightId, h.end])).toEqual([
      ["a", T0 + 30_000],
      ["b", null],
    ]);
  });

  it("keeps the first start seen for an id (event, timeline and DATERANGE agree on ids)", () => {
    const again = mergeHighlights(timeline, [{ highlightId: "a", productId: 1, start: T0 + 99_000 }]);
    expect(again[0]!.start).toBe(T0 + 10_000);
    expect(again).toHaveLength(2);
  });

  it("ignores unparseable dates", () => {
    expect(mergeHighlights([], [{ highlightId: "x", productId: 1, start: "not a date" }])).toEqual([]);
  });
});

describe("activeHighlight against playingDate", () => {
  it("shows nothing before the first highlight's frame plays", () => {
    expect(activeHighlight(timeline, T0 + 9_999)).toBeNull();
  });

  it("shows the card exactly when the playhead reaches the highlight", () => {
    expect(activeHighlight(timeline, T0 + 10_000)?.productId).toBe(1);
  });

  it("switches to the next product at its start", () => {
    expect(activeHighlight(timeline, T0 + 29_999)?.productId).toBe(1);
    expect(activeHighlight(timeline, T0 + 30_000)?.productId).toBe(2);
  });

  it("keeps a viewer 5 s behind live from seeing a card before its frame", () => {
    // The event arrives at wall time T0+10s, but this viewer's playhead is at T0+5s.
    const live = mergeHighlights([], [{ highlightId: "n", productId: 7, start: T0 + 10_000 }]);
    expect(activeHighlight(live, T0 + 5_000)).toBeNull();
    expect(untilNextHighlight(live, T0 + 5_000)).toBe(5_000);
    expect(activeHighlight(live, T0 + 10_050)?.productId).toBe(7);
  });

  it("handles an unknown playhead", () => {
    expect(activeHighlight(timeline, null)).toBeNull();
    expect(untilNextHighlight(timeline, null)).toBeNull();
  });

  it("follows seeks backwards in a replay", () => {
    expect(activeHighlight(timeline, T0 + 40_000)?.productId).toBe(2);
    expect(activeHighlight(timeline, T0 + 12_000)?.productId).toBe(1);
  });

  it("lists products already reached", () => {
    expect([...reachedProductIds(timeline, T0 + 31_000)]).toEqual([1, 2]);
    expect([...reachedProductIds(timeline, T0)]).toEqual([]);
  });
});

describe("media time <-> program-date-time", () => {
  const frags: FragmentTiming[] = [
    { start: 0, duration: 2, programDateTime: T0 },
    { start: 2, duration: 2, programDateTime: T0 + 2_000 },
    // A publisher reconnect: a discontinuity with a later date.
    { start: 4, duration: 2, programDateTime: T0 + 60_000 },
  ];

  it("finds the media time of a date inside a fragment", () => {
    expect(mediaTimeForDate(frags, T0 + 3_000)).toBeCloseTo(3);
    expect(mediaTimeForDate(frags, T0 + 61_000)).toBeCloseTo(5);
  });

  it("clamps a date in a gap to the end of the fragment before it", () => {
    expect(mediaTimeForDate(frags, T0 + 30_000)).toBeCloseTo(4);
  });

  it("clamps a date before the stream to its start", () => {
    expect(mediaTimeForDate(frags, T0 - 5_000)).toBe(0);
  });

  it("inverts: date at a media time", () => {
    expect(dateForMediaTime(frags, 5)).toBe(T0 + 61_000);
    expect(dateForMediaTime([], 5)).toBeNull();
  });
});
