// The buy flow as a state machine: one tap reserves (a hold with a countdown), checkout turns the
// hold into an order with the manual payment provider, and every failure says what to do next.
// Queue mode puts a waiting-room ticket before the tap (the viewer may reserve once admitted);
// raffle mode puts an entry before it (a winner's hold is placed by the draw).
import type { QueueEvent, RaffleEvent } from "../api/contracts";
import type { Hold, Order, QueueRoom, Raffle, RaffleEntry, Ticket } from "../api/types";
import type { Explained } from "./errors";
import { applyQueueEvent, fromTicket, type QueueView } from "./queue";
import { applyRaffleEvent, fromRaffle, withEntry, type RaffleView } from "./raffle";

export type BuyState =
  | { step: "idle" }
  | { step: "reserving" }
  | { step: "held"; hold: Hold; heldAt: number; idempotencyKey: string }
  | { step: "paying"; hold: Hold; heldAt: number; idempotencyKey: string }
  | { step: "confirmed"; order: Order }
  | { step: "expired" }
  | { step: "queued"; queue: QueueView }
  | { step: "raffle"; raffle: RaffleView }
  | { step: "failed"; error: Explained; retryAt: number | null; hold?: Hold; heldAt?: number; idempotencyKey?: string };

export type BuyAction =
  | { type: "reserve" }
  | { type: "reserved"; hold: Hold; now: number; idempotencyKey: string }
  | { type: "pay" }
  | { type: "paid"; order: Order }
  | { type: "expired" }
  /** A ticket from joining the line or reading it again. */
  | { type: "ticket"; ticket: Ticket; clockOffsetMs: number }
  | { type: "queue_event"; event: QueueEvent }
  /** The raffle as read from the API (with the viewer's entry, if any). */
  | { type: "raffle"; raffle: Raffle }
  | { type: "entered"; entry: RaffleEntry }
  | { type: "raffle_event"; event: RaffleEvent; userId: number | null }
  | { type: "failed"; error: Explained; now: number }
  | { type: "cancel" }
  | { type: "reset" };

/** Codes after which the hold is gone and the user starts over. */
const HOLD_GONE = new Set(["hold_expired", "hold_not_found", "gone"]);

/** Steps a ticket or raffle update may replace: nothing is in progress, reserved or bought. */
function canFollow(state: BuyState, step: "queued" | "raffle"): boolean {
  return state.step === step || state.step === "idle" || (state.step === "failed" && !state.hold);
}

export function buyReducer(state: BuyState, action: BuyAction): BuyState {
  switch (action.type) {
    case "reserve":
      return state.step === "reserving" || state.step === "paying" ? state : { step: "reserving" };
    case "reserved":
      if (state.step === "paying" || state.step === "confirmed") return state;
      if (state.step === "held" && state.hold.hold_id === action.hold.hold_id) return state;
      return {
        step: "held",
        hold: action.hold,
        heldAt: action.now,
        idempotencyKey: action.idempotencyKey,
      };
    case "pay":
      if (state.step === "held") return { ...state, step: "paying" };
      if (state.step === "failed" && state.hold && state.idempotencyKey && state.heldAt != null) {
        // Retrying a checkout reuses its idempotency key: the order is made at most once.
        return {
          step: "paying",
          hold: state.hold,
          heldAt: state.heldAt,
          idempotencyKey: state.idempotencyKey,
        };
      }
      return state;
    case "paid":
      return { step: "confirmed", order: action.order };
    case "expired":
      return state.step === "held" || state.step === "failed" ? { step: "expired" } : state;
    case "ticket": {
      // A join answered while reserving (a double tap) still shows the line.
      if (!canFollow(state, "queued") && state.step !== "reserving") return state;
      const previous = state.step === "queued" ? state.queue : null;
      return { step: "queued", queue: fromTicket(action.ticket, action.clockOffsetMs, previous) };
    }
    case "queue_event":
      return state.step === "queued" ? { ...state, queue: applyQueueEvent(state.queue, action.event) } : state;
    case "raffle": {
      if (!canFollow(state, "raffle")) return state;
      if (!action.raffle.my_entry) return state.step === "raffle" ? { step: "idle" } : state;
      return { step: "raffle", raffle: fromRaffle(action.raffle) };
    }
    case "entered":
      if (!canFollow(state, "raffle") && state.step !== "reserving") return state;
      return { step: "raffle", raffle: withEntry(state.step === "raffle" ? state.raffle : null, action.entry) };
    case "raffle_event":
      return state.step === "raffle"
        ? { ...state, raffle: applyRaffleEvent(state.raffle, action.event, action.userId) }
        : state;
    case "failed": {
      const retryAt =
        action.error.retryAfter != null ? action.now + action.error.retryAfter * 1000 : null;
      if (state.step === "paying" && !HOLD_GONE.has(action.error.code)) {
        return {
          step: "failed",
          error: action.error,
          retryAt,
          hold: state.hold,
          heldAt: state.heldAt,
          idempotencyKey: state.idempotencyKey,
        };
      }
      return { step: "failed", error: action.error, retryAt };
    }
    case "cancel":
    case "reset":
      return { step: "idle" };
  }
}

/** What the show's channel and the API said about a product's drop, for the button. */
export interface DropInfo {
  room?: Pick<QueueRoom, "phase" | "sold_out"> | null;
  raffle?: { status: "open" | "drawn"; closes_at?: string | null } | null;
}

/** The buy button's label and whether it can be pressed, from the product and the flow. */
export function buyButton(
  product: { available: number; sale_open: boolean; sale_mode: string },
  state: BuyState,
  now: number,
  drop: DropInfo = {},
  clockOffsetMs = 0,
): { label: string; disabled: boolean } {
  if (state.step === "reserving") {
    return { label: product.sale_mode === "open" ? "Reserving…" : "One moment…", disabled: true };
  }
  if (state.step === "paying") return { label: "Placing order…", disabled: true };
  if (state.step === "failed" && state.retryAt != null && state.retryAt > now) {
    return { label: `Try again in ${Math.ceil((state.retryAt - now) / 1000)} s`, disabled: true };
  }
  if (product.sale_mode === "raffle") {
    const raffle = drop.raffle;
    if (!raffle) return { label: "Raffle opens soon", disabled: true };
    const closed =
      raffle.status !== "open" || (raffle.closes_at != null && Date.parse(raffle.closes_at) <= now + clockOffsetMs);
    return closed ? { label: "Raffle closed", disabled: true } : { label: "Enter the raffle", disabled: false };
  }
  if (product.sale_mode === "queue") {
    const room = drop.room;
    if (room?.sold_out) return { label: "Sold out", disabled: true };
    if (room?.phase === "waiting" || room?.phase === "open" || product.sale_open) {
      return { label: "Join the line", disabled: false };
    }
    return { label: "Line opens soon", disabled: true };
  }
  if (!product.sale_open) return { label: "Not on sale yet", disabled: true };
  if (product.available <= 0) return { label: "Sold out", disabled: true };
  return { label: "Buy now", disabled: false };
}
