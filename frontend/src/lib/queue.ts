// The viewer's place in a product's waiting room (queue mode), kept current from two sources:
// the ticket as the API answers it, and `queue` events on the show's channel. An event carries
// `served` (the ranks admitted so far), so a waiting ticket's position is `rank - served` without
// asking the server; the ticket is read again only when the channel says something changed for it
// (the pool was ordered at opening, its turn came, the product came back in stock), and now and
// then as a fallback.
import type { QueueEvent } from "../api/contracts";
import type { Ticket, TicketStatus } from "../api/types";

export interface QueueView {
  productId: number;
  ticket: string;
  status: TicketStatus;
  /** 1 = first in line; null until the pool is ordered when the sale opens. */
  rank: number | null;
  /** Ranks admitted so far (only ever grows). */
  served: number;
  phase: "closed" | "waiting" | "open";
  soldOut: boolean;
  admissionSeconds: number;
  /** When the admission ends, on this device's clock (ms since the epoch). */
  admissionEndsAt: number | null;
  /** The channel said something changed for this ticket: read it again. */
  stale: boolean;
}

const PHASES = ["closed", "waiting", "open"] as const;

function phaseOf(value: string): QueueView["phase"] {
  return (PHASES as readonly string[]).includes(value) ? (value as QueueView["phase"]) : "closed";
}

/** The later of two phases: a room never goes back. */
function laterPhase(a: QueueView["phase"], b: QueueView["phase"]): QueueView["phase"] {
  return PHASES.indexOf(a) >= PHASES.indexOf(b) ? a : b;
}

/**
 * The view from a ticket the API just answered. `clockOffsetMs` is the server's clock minus this
 * device's. A previous view of the same ticket keeps what is newer in it (an answer can be
 * overtaken by an event on the way).
 */
export function fromTicket(ticket: Ticket, clockOffsetMs = 0, previous: QueueView | null = null): QueueView {
  const ends = ticket.admission_expires_at ? Date.parse(ticket.admission_expires_at) : NaN;
  const fresh: QueueView = {
    productId: ticket.product_id,
    ticket: ticket.ticket,
    status: ticket.status,
    rank: ticket.rank,
    served: ticket.queue.served,
    phase: phaseOf(ticket.queue.phase),
    soldOut: ticket.queue.sold_out,
    admissionSeconds: ticket.queue.admission_seconds,
    admissionEndsAt: Number.isFinite(ends) ? ends - clockOffsetMs : null,
    stale: false,
  };
  if (!previous || previous.ticket !== ticket.ticket) return fresh;
  const served = Math.max(previous.served, fresh.served);
  const view = { ...fresh, served, phase: laterPhase(previous.phase, fresh.phase) };
  // The answer is older than what the channel told since: its turn may have come meanwhile.
  view.stale = turnReached(view);
  return view;
}

function turnReached(view: QueueView): boolean {
  return view.status === "waiting" && view.rank != null && view.rank <= view.served;
}

/** Applies a `queue` event of the show's channel. Pure. */
export function applyQueueEvent(view: QueueView, event: QueueEvent): QueueView {
  if (event.product_id !== view.productId) return view;
  const served = Math.max(view.served, event.served);
  const phase = laterPhase(view.phase, event.phase);
  const next: QueueView = {
    ...view,
    served,
    phase,
    soldOut: event.sold_out,
    admissionSeconds: event.admission_seconds,
  };
  if (event.sold_out && (view.status === "waiting" || view.status === "admitted" || view.status === "pooled")) {
    next.status = "sold_out";
  }
  if (view.status === "pooled" && phase === "open") {
    // The sale opened: the pool was shuffled and this ticket has its rank now.
    next.stale = true;
  } else if (view.status === "sold_out" && !event.sold_out) {
    // Back in stock (a restock, or units in carts came back): where does this ticket stand?
    next.stale = true;
  } else if (turnReached(next)) {
    next.stale = true;
  }
  return next;
}

/** Waiting tickets: 1 = next to be admitted. Null when there is no number to show. */
export function queuePosition(view: QueueView): number | null {
  if (view.status !== "waiting" || view.rank == null) return null;
  const position = view.rank - view.served;
  return position > 0 ? position : null;
}

/**
 * The estimated wait, as the server estimates it: every batch ahead (sized to the free units) may
 * use its whole admission window. An upper bound rather than a promise.
 */
export function estimatedWaitSeconds(position: number, freeUnits: number, admissionSeconds: number): number {
  if (position <= 0) return 0;
  return Math.ceil(position / Math.max(1, freeUnits)) * admissionSeconds;
}

export type QueueDisplay =
  /** Joined before the sale opened: places are drawn at random when it opens. */
  | { kind: "pooled" }
  | { kind: "waiting"; position: number; waitSeconds: number }
  /** The channel says the turn has come: confirming with the server. */
  | { kind: "checking" }
  /** May reserve until the window ends. */
  | { kind: "admitted"; msLeft: number }
  /** The window ended without a reservation. */
  | { kind: "expired" }
  /** The window was used (a reservation was made) and has ended. */
  | { kind: "done" }
  | { kind: "sold_out" }
  | { kind: "left" };

/** What to show for a ticket at `now` (device clock), with the product's free units. */
export function queueDisplay(view: QueueView, now: number, freeUnits: number): QueueDisplay {
  switch (view.status) {
    case "pooled":
      return view.stale ? { kind: "checking" } : { kind: "pooled" };
    case "waiting": {
      const position = queuePosition(view);
      if (position == null) return { kind: view.rank == null ? "pooled" : "checking" };
      return {
        kind: "waiting",
        position,
        waitSeconds: estimatedWaitSeconds(position, freeUnits, view.admissionSeconds),
      };
    }
    case "admitted": {
      const msLeft = view.admissionEndsAt == null ? 0 : Math.max(0, view.admissionEndsAt - now);
      return msLeft > 0 ? { kind: "admitted", msLeft } : { kind: "expired" };
    }
    case "expired":
      return { kind: "expired" };
    case "completed":
      return { kind: "done" };
    case "sold_out":
      return { kind: "sold_out" };
    case "left":
      return { kind: "left" };
  }
}

/** Whether the ticket can still change (worth following). */
export function queueSettled(view: QueueView): boolean {
  return view.status === "expired" || view.status === "completed" || view.status === "left";
}

/**
 * Milliseconds until the ticket is read again, or null for never. Jittered so thousands of
 * viewers told the same news at once do not all ask in the same instant. Without a live channel,
 * reading the ticket is the only way to follow the line, so it is read more often.
 */
export function nextTicketCheckMs(view: QueueView, channelOpen: boolean, random: () => number = Math.random): number | null {
  if (queueSettled(view)) return null;
  if (view.stale) {
    // At opening every pooled ticket is stale at once: spread them over two seconds.
    return Math.round((view.status === "pooled" ? 2000 : 400) * random());
  }
  if (view.status === "admitted") return null; // the countdown runs here; holding tells the rest
  const base = view.status === "sold_out" ? (channelOpen ? 60_000 : 15_000) : channelOpen ? 20_000 : 4_000;
  return Math.round(base * (0.75 + random() * 0.5));
}
