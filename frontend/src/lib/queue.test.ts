import { describe, expect, it } from "vitest";
import type { QueueEvent } from "../api/contracts";
import type { Ticket } from "../api/types";
import {
  applyQueueEvent,
  estimatedWaitSeconds,
  fromTicket,
  nextTicketCheckMs,
  queueDisplay,
  queuePosition,
  type QueueView,
} from "./queue";

function ticket(over: Partial<Ticket> = {}, queue: Partial<Ticket["queue"]> = {}): Ticket {
  return {
    ticket: "a".repeat(32),
    product_id: 4,
    status: "pooled",
    position: null,
    rank: null,
    arrival: 7,
    admitted: false,
    expired: false,
    admission_expires_at: null,
    estimated_wait_seconds: null,
    ...over,
    queue: {
      product_id: 4,
      phase: "waiting",
      joined: 10,
      waiting: 10,
      served: 0,
      admitted_now: 0,
      sold_out: false,
      admission_seconds: 60,
      available: null,
      ...queue,
    },
  };
}

function event(over: Partial<QueueEvent> = {}): QueueEvent {
  return { type: "queue", product_id: 4, phase: "open", joined: 10, served: 0, sold_out: false, admission_seconds: 60, ...over };
}

describe("waiting-room position", () => {
  it("is rank minus served, from every queue event without asking the server", () => {
    let v = fromTicket(ticket({ status: "waiting", rank: 9, position: 7 }, { phase: "open", served: 2 }));
    expect(queuePosition(v)).toBe(7);
    v = applyQueueEvent(v, event({ served: 5 }));
    expect(queuePosition(v)).toBe(4);
    expect(v.stale).toBe(false);
    v = applyQueueEvent(v, event({ served: 8 }));
    expect(queuePosition(v)).toBe(1);
  });

  it("never goes backwards on a late event or an older answer", () => {
    let v = fromTicket(ticket({ status: "waiting", rank: 9 }, { phase: "open", served: 5 }));
    v = applyQueueEvent(v, event({ served: 3 }));
    expect(v.served).toBe(5);
    // A ticket read before the last event arrives after it: the event's served stands.
    v = applyQueueEvent(v, event({ served: 6 }));
    v = fromTicket(ticket({ status: "waiting", rank: 9 }, { phase: "open", served: 4 }), 0, v);
    expect(queuePosition(v)).toBe(3);
  });

  it("ignores other products' events", () => {
    const v = fromTicket(ticket({ status: "waiting", rank: 9 }, { phase: "open", served: 2 }));
    expect(applyQueueEvent(v, event({ product_id: 5, served: 9 }))).toBe(v);
  });

  it("asks for the ticket again when its turn comes", () => {
    let v = fromTicket(ticket({ status: "waiting", rank: 3 }, { phase: "open", served: 1 }));
    v = applyQueueEvent(v, event({ served: 3 }));
    expect(v.stale).toBe(true);
    expect(queuePosition(v)).toBeNull();
    expect(queueDisplay(v, 0, 1)).toEqual({ kind: "checking" });
    expect(nextTicketCheckMs(v, true, () => 1)).toBe(400);
  });

  it("asks for the rank when the sale opens and the pool is shuffled", () => {
    let v = fromTicket(ticket());
    expect(queueDisplay(v, 0, 1)).toEqual({ kind: "pooled" });
    v = applyQueueEvent(v, event({ phase: "waiting", joined: 11 }));
    expect(v.stale).toBe(false);
    v = applyQueueEvent(v, event({ phase: "open", served: 2 }));
    expect(v.stale).toBe(true);
    // Everyone learns at once: the reads are spread over two seconds.
    expect(nextTicketCheckMs(v, true, () => 0.5)).toBe(1000);
    v = fromTicket(ticket({ status: "waiting", rank: 6 }, { phase: "open", served: 2 }), 0, v);
    expect(v.stale).toBe(false);
    expect(queueDisplay(v, 0, 2)).toEqual({ kind: "waiting", position: 4, waitSeconds: 120 });
  });

  it("estimates the wait like the server: a window per batch ahead", () => {
    expect(estimatedWaitSeconds(1, 1, 60)).toBe(60);
    expect(estimatedWaitSeconds(5, 2, 60)).toBe(180);
    expect(estimatedWaitSeconds(5, 0, 30)).toBe(150);
    expect(estimatedWaitSeconds(0, 3, 60)).toBe(0);
  });
});

describe("waiting-room states", () => {
  const admittedAt = Date.parse("2026-03-01T18:00:00Z");

  it("counts the admission down on this device's clock", () => {
    const v = fromTicket(
      ticket({ status: "admitted", rank: 1, position: 0, admitted: true, admission_expires_at: "2026-03-01T18:01:00Z" }, { phase: "open", served: 1 }),
      2_000, // the server's clock is 2 s ahead
    );
    expect(queueDisplay(v, admittedAt - 2_000, 1)).toEqual({ kind: "admitted", msLeft: 60_000 });
    expect(queueDisplay(v, admittedAt + 58_000, 1)).toEqual({ kind: "expired" });
    expect(nextTicketCheckMs(v, true)).toBeNull();
  });

  it("shows expired, used and left tickets and stops following them", () => {
    for (const [status, kind] of [["expired", "expired"], ["completed", "done"], ["left", "left"]] as const) {
      const v = fromTicket(ticket({ status, rank: 1 }, { phase: "open", served: 1 }));
      expect(queueDisplay(v, 0, 1).kind).toBe(kind);
      expect(nextTicketCheckMs(v, false)).toBeNull();
    }
  });

  it("tells everyone waiting when it sells out, and looks again after a restock", () => {
    let v: QueueView = fromTicket(ticket({ status: "waiting", rank: 9 }, { phase: "open", served: 2 }));
    v = applyQueueEvent(v, event({ served: 3, sold_out: true }));
    expect(queueDisplay(v, 0, 0)).toEqual({ kind: "sold_out" });
    expect(v.stale).toBe(false);
    expect(nextTicketCheckMs(v, true, () => 0.5)).toBe(60_000);
    v = applyQueueEvent(v, event({ served: 3, sold_out: false }));
    expect(v.stale).toBe(true);
  });

  it("polls the ticket often only without a live channel", () => {
    const v = fromTicket(ticket({ status: "waiting", rank: 9 }, { phase: "open", served: 2 }));
    expect(nextTicketCheckMs(v, true, () => 0.5)).toBe(20_000);
    expect(nextTicketCheckMs(v, false, () => 0.5)).toBe(4_000);
    expect(nextTicketCheckMs(v, false, () => 0)).toBe(3_000);
    expect(nextTicketCheckMs(v, false, () => 1)).toBe(5_000);
  });
});
