import { describe, expect, it } from "vitest";
import type { Hold, Order, Raffle, Ticket } from "../api/types";
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
  });

  it("lets viewers join an announced line before the sale opens", () => {
    const idle: BuyState = { step: "idle" };
    const queue = { ...product, sale_mode: "queue", sale_open: false };
    expect(buyButton(queue, idle, 0)).toEqual({ label: "Line opens soon", disabled: true });
    expect(buyButton(queue, idle, 0, { room: { phase: "waiting", sold_out: false } })).toEqual({ label: "Join the line", disabled: false });
    expect(buyButton(queue, idle, 0, { room: { phase: "open", sold_out: true } })).toEqual({ label: "Sold out", disabled: true });
  });

  it("offers raffle entry only while entries are open", () => {
    const idle: BuyState = { step: "idle" };
    const raffle = { ...product, sale_mode: "raffle", sale_open: false, available: 0 };
    expect(buyButton(raffle, idle, 0).label).toBe("Raffle opens soon");
    expect(buyButton(raffle, idle, 0, { raffle: { status: "open" } })).toEqual({ label: "Enter the raffle", disabled: false });
    const closes = Date.parse("2026-03-01T18:00:00Z");
    expect(buyButton(raffle, idle, closes + 1, { raffle: { status: "open", closes_at: "2026-03-01T18:00:00Z" } }).disabled).toBe(true);
    expect(buyButton(raffle, idle, 0, { raffle: { status: "drawn" } })).toEqual({ label: "Raffle closed", disabled: true });
  });
});

const ticket: Ticket = {
  ticket: "t".repeat(32), product_id: 3, status: "waiting", position: 2, rank: 4, arrival: 4, admitted: false,
  expired: false, admission_expires_at: null, estimated_wait_seconds: 120,
  queue: { product_id: 3, phase: "open", joined: 9, waiting: 7, served: 2, admitted_now: 1, sold_out: false, admission_seconds: 60, available: 1 },
};

describe("buy flow in queue mode", () => {
  it("joins, follows the line from events, is admitted, reserves and pays", () => {
    let s: BuyState = buyReducer({ step: "idle" }, { type: "reserve" });
    s = buyReducer(s, { type: "ticket", ticket, clockOffsetMs: 0 });
    expect(s).toMatchObject({ step: "queued", queue: { rank: 4, served: 2 } });
    s = buyReducer(s, { type: "queue_event", event: { type: "queue", product_id: 3, phase: "open", joined: 9, served: 3, sold_out: false, admission_seconds: 60 } });
    expect(s).toMatchObject({ step: "queued", queue: { served: 3, stale: false } });
    s = buyReducer(s, { type: "queue_event", event: { type: "queue", product_id: 3, phase: "open", joined: 9, served: 4, sold_out: false, admission_seconds: 60 } });
    expect(s).toMatchObject({ step: "queued", queue: { stale: true } });
    s = buyReducer(s, {
      type: "ticket",
      ticket: { ...ticket, status: "admitted", position: 0, admitted: true, admission_expires_at: "2026-03-01T18:01:00Z", queue: { ...ticket.queue, served: 4 } },
      clockOffsetMs: 0,
    });
    expect(s).toMatchObject({ step: "queued", queue: { status: "admitted", stale: false } });
    s = buyReducer(s, { type: "reserve" });
    s = buyReducer(s, { type: "reserved", hold, now: 1, idempotencyKey: "k" });
    expect(s.step).toBe("held");
    // A ticket read that was already on its way does not take the hold away.
    expect(buyReducer(s, { type: "ticket", ticket, clockOffsetMs: 0 })).toBe(s);
    s = buyReducer(s, { type: "pay" });
    expect(s.step).toBe("paying");
  });

  it("shows the line again when joining answers after a failure", () => {
    const failed = buyReducer({ step: "reserving" }, { type: "failed", error: explainCode("admission_expired"), now: 0 });
    expect(buyReducer(failed, { type: "ticket", ticket, clockOffsetMs: 0 }).step).toBe("queued");
  });
});

describe("buy flow in raffle mode", () => {
  const raffle: Raffle = {
    product_id: 3, status: "open", algorithm: "hmac-sha256-v1", seed_digest: "d", seed: null, closes_at: null,
    opened_at: "2026-03-01T17:00:00Z", drawn_at: null, entries: 1, units: 0, next_rank: 1, my_entry: null,
  };
  const entry = {
    product_id: 3, user_id: 42, entered_at: "2026-03-01T17:01:00Z", status: "entered" as const, draw_rank: null,
    outcome: null, hold_id: null, draws_at: null,
  };

  it("enters, learns the result from the draw, and the win becomes a hold to check out", () => {
    let s: BuyState = buyReducer({ step: "idle" }, { type: "reserve" });
    s = buyReducer(s, { type: "entered", entry });
    expect(s).toMatchObject({ step: "raffle", raffle: { entry: { status: "entered" } } });
    s = buyReducer(s, { type: "raffle_event", userId: 42, event: { type: "raffle", product_id: 3, status: "drawn", entries: 1, seed_digest: "d", granted_user_ids: [42] } });
    expect(s).toMatchObject({ step: "raffle", raffle: { stale: true, granted: true } });
    s = buyReducer(s, { type: "raffle", raffle: { ...raffle, status: "drawn", units: 1, next_rank: 2, my_entry: { ...entry, status: "won", draw_rank: 1, outcome: "winner", hold_id: hold.hold_id } } });
    expect(s).toMatchObject({ step: "raffle", raffle: { stale: false, entry: { status: "won" } } });
    s = buyReducer(s, { type: "reserved", hold, now: 1, idempotencyKey: "k" });
    expect(s.step).toBe("held");
  });

  it("restores an entry after a reload and stays idle without one", () => {
    expect(buyReducer({ step: "idle" }, { type: "raffle", raffle }).step).toBe("idle");
    expect(buyReducer({ step: "idle" }, { type: "raffle", raffle: { ...raffle, my_entry: entry } }).step).toBe("raffle");
  });
});
