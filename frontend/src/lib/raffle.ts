// A product's raffle as one viewer sees it: entries open, their entry, and the result once drawn
// (won: a hold was placed for them; not drawn; or next in the draw order if a winner lets go).
import type { RaffleEvent } from "../api/contracts";
import type { Raffle, RaffleEntry } from "../api/types";

export interface RaffleView {
  productId: number;
  status: "open" | "drawn";
  entries: number;
  closesAt: string | null;
  /** The viewer's entry, when they entered. */
  entry: RaffleEntry | null;
  /** The next rank of the draw order to be given a unit that frees up. */
  nextRank: number;
  units: number;
  /** The channel said something changed for this viewer: read the raffle again. */
  stale: boolean;
  /** This viewer was given a hold by the latest step (read at once, not after a delay). */
  granted: boolean;
}

export function fromRaffle(raffle: Raffle): RaffleView {
  return {
    productId: raffle.product_id,
    status: raffle.status,
    entries: raffle.entries,
    closesAt: raffle.closes_at,
    entry: raffle.my_entry,
    nextRank: raffle.next_rank,
    units: raffle.units,
    stale: false,
    granted: false,
  };
}

/** The view after entering: the answer is the entry itself. */
export function withEntry(view: RaffleView | null, entry: RaffleEntry): RaffleView {
  return {
    productId: entry.product_id,
    status: view?.status ?? "open",
    entries: Math.max(view?.entries ?? 0, 1),
    closesAt: view?.closesAt ?? entry.draws_at,
    nextRank: view?.nextRank ?? 1,
    units: view?.units ?? 0,
    entry,
    stale: false,
    granted: false,
  };
}

/** Applies a `raffle` event of the show's channel for the viewer `userId`. Pure. */
export function applyRaffleEvent(view: RaffleView, event: RaffleEvent, userId: number | null): RaffleView {
  if (event.product_id !== view.productId) return view;
  const granted = userId != null && (event.granted_user_ids ?? []).includes(userId);
  const next: RaffleView = {
    ...view,
    status: view.status === "drawn" ? "drawn" : event.status,
    entries: event.entries,
    closesAt: event.closes_at ?? view.closesAt,
    granted: view.granted || granted,
  };
  // Entrants learn their result from the raffle itself: at the draw, when they are given a
  // hold, and (still waiting as runners-up) when the draw order moves on.
  const waitingForResult = view.entry != null && view.entry.status !== "won";
  if (event.status === "drawn" && (granted || waitingForResult)) next.stale = true;
  return next;
}

export type RaffleDisplay =
  /** Entries are open; the viewer has not entered. */
  | { kind: "open"; entries: number; closesAt: string | null }
  /** Entered; waiting for the draw. */
  | { kind: "entered"; entries: number; closesAt: string | null }
  /** Drawn; this viewer's result is being read. */
  | { kind: "checking" }
  /** A hold was placed for this viewer. */
  | { kind: "won"; holdId: string }
  /** Not drawn, but next in line should a winner let their unit go. */
  | { kind: "runner_up"; ahead: number }
  | { kind: "not_drawn" }
  /** Drawn; this viewer did not enter. */
  | { kind: "closed" };

export function raffleDisplay(view: RaffleView): RaffleDisplay {
  const entry = view.entry;
  if (view.status === "open") {
    return entry
      ? { kind: "entered", entries: view.entries, closesAt: view.closesAt }
      : { kind: "open", entries: view.entries, closesAt: view.closesAt };
  }
  if (!entry) return { kind: "closed" };
  if (entry.status === "won" && entry.hold_id) return { kind: "won", holdId: entry.hold_id };
  if (entry.status === "entered" || view.granted) return { kind: "checking" };
  if (entry.draw_rank != null && entry.draw_rank >= view.nextRank && entry.outcome !== "skipped") {
    return { kind: "runner_up", ahead: entry.draw_rank - view.nextRank };
  }
  return { kind: "not_drawn" };
}

/** Milliseconds until the raffle is read again (jittered), or null for not now. */
export function nextRaffleCheckMs(view: RaffleView, channelOpen: boolean, random: () => number = Math.random): number | null {
  if (view.stale) return view.granted ? 0 : Math.round(3000 * random());
  const entry = view.entry;
  if (!entry || entry.status === "won") return null;
  if (view.status === "open") return channelOpen ? null : Math.round(8000 * (0.75 + random() * 0.5));
  const display = raffleDisplay(view);
  if (display.kind === "runner_up") return Math.round((channelOpen ? 30_000 : 10_000) * (0.75 + random() * 0.5));
  return null;
}

/** Whether entries are still taken at `now` (device clock, corrected by `clockOffsetMs`). */
export function entriesOpen(view: RaffleView, now: number, clockOffsetMs = 0): boolean {
  if (view.status !== "open") return false;
  if (!view.closesAt) return true;
  return Date.parse(view.closesAt) > now + clockOffsetMs;
}
