import { describe, expect, it } from "vitest";
import type { RaffleEvent } from "../api/contracts";
import type { Raffle, RaffleEntry } from "../api/types";
import { applyRaffleEvent, entriesOpen, fromRaffle, nextRaffleCheckMs, raffleDisplay, withEntry } from "./raffle";

const ME = 42;

function entry(over: Partial<RaffleEntry> = {}): RaffleEntry {
  return {
    product_id: 4, user_id: ME, entered_at: "2026-03-01T18:00:00Z", status: "entered",
    draw_rank: null, outcome: null, hold_id: null, draws_at: null, ...over,
  };
}

function raffle(over: Partial<Raffle> = {}): Raffle {
  return {
    product_id: 4, status: "open", algorithm: "hmac-sha256-v1", seed_digest: "d", seed: null,
    closes_at: null, opened_at: "2026-03-01T17:59:00Z", drawn_at: null, entries: 3, units: 0,
    next_rank: 1, my_entry: null, ...over,
  };
}

function drawn(granted: number[] = []): RaffleEvent {
  return { type: "raffle", product_id: 4, status: "drawn", entries: 3, seed_digest: "d", seed: "s", granted_user_ids: granted };
}

describe("raffle as a viewer sees it", () => {
  it("shows entries open, then the entry", () => {
    const open = fromRaffle(raffle());
    expect(raffleDisplay(open)).toEqual({ kind: "open", entries: 3, closesAt: null });
    const mine = withEntry(open, entry());
    expect(raffleDisplay(mine)).toMatchObject({ kind: "entered" });
  });

  it("reads the result at once when the draw gives this viewer a hold", () => {
    let v = withEntry(fromRaffle(raffle()), entry());
    v = applyRaffleEvent(v, drawn([7, ME]), ME);
    expect(v.stale && v.granted).toBe(true);
    expect(raffleDisplay(v)).toEqual({ kind: "checking" });
    expect(nextRaffleCheckMs(v, true)).toBe(0);
    v = fromRaffle(raffle({ status: "drawn", units: 2, next_rank: 3, my_entry: entry({ status: "won", draw_rank: 2, outcome: "winner", hold_id: "h9" }) }));
    expect(raffleDisplay(v)).toEqual({ kind: "won", holdId: "h9" });
    expect(nextRaffleCheckMs(v, true)).toBeNull();
  });

  it("reads the result after a spread-out delay when not granted", () => {
    let v = withEntry(fromRaffle(raffle()), entry());
    v = applyRaffleEvent(v, drawn([7]), ME);
    expect(v.stale).toBe(true);
    expect(v.granted).toBe(false);
    expect(nextRaffleCheckMs(v, true, () => 0.5)).toBe(1500);
  });

  it("tells a runner-up how many are ahead, and a promotion arrives as a hold", () => {
    let v = fromRaffle(raffle({ status: "drawn", units: 1, next_rank: 2, my_entry: entry({ status: "lost", draw_rank: 4 }) }));
    expect(raffleDisplay(v)).toEqual({ kind: "runner_up", ahead: 2 });
    expect(nextRaffleCheckMs(v, true, () => 0.5)).toBe(30_000);
    // A winner let their unit go, and the next ranks moved up without reaching this viewer.
    v = applyRaffleEvent(v, drawn([9]), ME);
    expect(raffleDisplay(v)).toEqual({ kind: "runner_up", ahead: 2 });
    v = applyRaffleEvent(v, drawn([ME]), ME);
    expect(raffleDisplay(v)).toEqual({ kind: "checking" });
    expect(nextRaffleCheckMs(v, true)).toBe(0);
  });

  it("says 'not drawn' once the draw order has passed the entry", () => {
    const skipped = fromRaffle(raffle({ status: "drawn", next_rank: 5, my_entry: entry({ status: "lost", draw_rank: 4 }) }));
    expect(raffleDisplay(skipped)).toEqual({ kind: "not_drawn" });
    const overLimit = fromRaffle(raffle({ status: "drawn", next_rank: 1, my_entry: entry({ status: "lost", draw_rank: 3, outcome: "skipped" }) }));
    expect(raffleDisplay(overLimit)).toEqual({ kind: "not_drawn" });
  });

  it("knows entries are closed after the deadline or the draw", () => {
    const v = fromRaffle(raffle({ closes_at: "2026-03-01T18:10:00Z" }));
    const at = Date.parse("2026-03-01T18:10:00Z");
    expect(entriesOpen(v, at - 1_000)).toBe(true);
    expect(entriesOpen(v, at - 1_000, 2_000)).toBe(false);
    expect(raffleDisplay(fromRaffle(raffle({ status: "drawn" })))).toEqual({ kind: "closed" });
  });

  it("ignores other products' events and never reopens a drawn raffle", () => {
    const v = fromRaffle(raffle({ status: "drawn" }));
    expect(applyRaffleEvent(v, { ...drawn(), product_id: 5 }, ME)).toBe(v);
    expect(applyRaffleEvent(v, { ...drawn(), status: "open" }, ME).status).toBe("drawn");
  });
});
