import { describe, expect, it } from "vitest";
import type { Hold, Order } from "../api/types";
import { buyButton, buyReducer, type BuyState } from "./buyflow";
import { explainCode } from "./errors";

const hold: Hold = {
  hold_id: "h1", product_id: 3, quantity: 1, status: "active", expires_at: "2026-03-01T18:10:00Z", seconds_left: 600,
};
const product = { available: 5, sale_open: true, sale_mode: "open" };

describe("buy flow", () => {
  it("goes idle -> reserving -> held -> paying -> confirmed", () => {
    let s: BuyState = { step: "idle" };
    s = buyReducer(s, { type: "reserve" });
    expect(s.step).toBe("reserving");
    s = buyReducer(s, { type: "reserved", hold, now: 1, idempotencyKey: "k1" });
    expect(s.step).toBe("held");
    s = buyReducer(s, { type: "pay" });
    expect(s).toMatchObject({ step: "paying", idempotencyKey: "k1" });
    s = buyReducer(s, { type: "paid", order: { id: 9, product_id: 3, quantity: 1, status: "pending_payment" } as Order });
    expect(s.step).toBe("confirmed");
  });

  it("ignores a second tap while reserving or paying", () => {
    const reserving: BuyState = { step: "reserving" };
    expect(buyReducer(reserving, { type: "reserve" })).toBe(reserving);
  });

  it("retries a failed checkout with the same idempotency key", () => {
    let s: BuyState = { step: "paying", hold, heldAt: 1, idempotencyKey: "k1" };
    s = buyReducer(s, { type: "failed", error: explainCode("network_error"), now: 0 });
    expect(s).toMatchObject({ step: "failed", idempotencyKey: "k1" });
    s = buyReducer(s, { type: "pay" });
    expect(s).toMatchObject({ step: "paying", idempotencyKey: "k1" });
  });

  it("forgets the hold when the server says it expired", () => {
    const s = buyReducer(
      { step: "paying", hold, heldAt: 1, idempotencyKey: "k1" },
      { type: "failed", error: explainCode("hold_expired"), now: 0 },
    );
    expect(s.step === "failed" && s.hold).toBeFalsy();
  });

  it("expires a hold whose countdown reached zero", () => {
    const s = buyReducer({ step: "held", hold, heldAt: 1, idempotencyKey: "k" }, { type: "expired" });
    expect(s.step).toBe("expired");
  });

  it("waits out Retry-After on the button", () => {
    const s = buyReducer({ step: "reserving" }, {
      type: "failed", error: explainCode("too_many_requests", "", 3), now: 1_000,
    });
    expect(buyButton(product, s, 1_500)).toEqual({ label: "Try again in 3 s", disabled: true });
    expect(buyButton(product, s, 4_001)).toEqual({ label: "Buy now", disabled: false });
  });

  it("labels the button by stock, sale state and mode", () => {
    const idle: BuyState = { step: "idle" };
    expect(buyButton({ ...product, available: 0 }, idle, 0)).toEqual({ label: "Sold out", disabled: true });
    expect(buyButton({ ...product, sale_open: false }, idle, 0).label).toBe("Not on sale yet");
    expect(buyButton({ ...product, sale_mode: "queue" }, idle, 0).label).toBe("Join the line");
    expect(buyButton({ ...product, sale_mode: "raffle", available: 0 }, idle, 0).label).toBe("Enter raffle");
  });
});
