// The buy flow as a state machine: one tap reserves (a hold with a countdown), checkout turns the
// hold into an order with the manual payment provider, and every failure says what to do next.
import type { QueueTicket, RaffleEntry } from "../api/contracts";
import type { Hold, Order } from "../api/types";
import type { Explained } from "./errors";

export type BuyState =
  | { step: "idle" }
  | { step: "reserving" }
  | { step: "held"; hold: Hold; heldAt: number; idempotencyKey: string }
  | { step: "paying"; hold: Hold; heldAt: number; idempotencyKey: string }
  | { step: "confirmed"; order: Order }
  | { step: "expired" }
  | { step: "queued"; ticket: QueueTicket }
  | { step: "entered"; entry: RaffleEntry }
  | { step: "failed"; error: Explained; retryAt: number | null; hold?: Hold; heldAt?: number; idempotencyKey?: string };

export type BuyAction =
  | { type: "reserve" }
  | { type: "reserved"; hold: Hold; now: number; idempotencyKey: string }
  | { type: "pay" }
  | { type: "paid"; order: Order }
  | { type: "expired" }
  | { type: "queued"; ticket: QueueTicket }
  | { type: "entered"; entry: RaffleEntry }
  | { type: "failed"; error: Explained; now: number }
  | { type: "cancel" }
  | { type: "reset" };

/** Codes after which the hold is gone and the user starts over. */
const HOLD_GONE = new Set(["hold_expired", "hold_not_found", "gone"]);

export function buyReducer(state: BuyState, action: BuyAction): BuyState {
  switch (action.type) {
    case "reserve":
      return state.step === "reserving" || state.step === "paying" ? state : { step: "reserving" };
    case "reserved":
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
    case "queued":
      return { step: "queued", ticket: action.ticket };
    case "entered":
      return { step: "entered", entry: action.entry };
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

/** The buy button's label and whether it can be pressed, from the product and the flow. */
export function buyButton(
  product: { available: number; sale_open: boolean; sale_mode: string },
  state: BuyState,
  now: number,
): { label: string; disabled: boolean } {
  if (state.step === "reserving") return { label: "Reserving…", disabled: true };
  if (state.step === "paying") return { label: "Placing order…", disabled: true };
  if (state.step === "failed" && state.retryAt != null && state.retryAt > now) {
    return { label: `Try again in ${Math.ceil((state.retryAt - now) / 1000)} s`, disabled: true };
  }
  if (!product.sale_open) return { label: "Not on sale yet", disabled: true };
  if (product.sale_mode === "raffle") return { label: "Enter raffle", disabled: false };
  if (product.sale_mode === "queue") return { label: "Join the line", disabled: false };
  if (product.available <= 0) return { label: "Sold out", disabled: true };
  return { label: "Buy now", disabled: false };
}
