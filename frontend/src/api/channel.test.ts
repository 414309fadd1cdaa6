import { describe, expect, it } from "vitest";
import { backoffMs, freshEnvelopes, parseFrame, parseSseMessage } from "./channel";

describe("channel frames", () => {
  it("reads a batch of envelopes", () => {
    const frame = parseFrame(
      '[{"id":4,"show_id":1,"event":{"type":"stock","product_id":2,"available":1,"held":0,"sold":3,"version":7}}]',
    );
    expect(frame.kind).toBe("events");
    expect(frame.kind === "events" && frame.envelopes[0]!.event.type).toBe("stock");
  });

  it("reads control messages", () => {
    const frame = parseFrame('{"type":"clock_ping","seq":3,"server_time":1}');
    expect(frame).toEqual({ kind: "control", message: { type: "clock_ping", seq: 3, server_time: 1 } });
  });

  it("reads waiting-room and raffle events", () => {
    const frame = parseFrame(
      '[{"id":5,"show_id":1,"event":{"type":"queue","product_id":2,"phase":"open","joined":9,"served":3,"sold_out":false,"admission_seconds":60}},' +
        '{"id":6,"show_id":1,"event":{"type":"raffle","product_id":3,"status":"drawn","entries":4,"seed_digest":"ab","granted_user_ids":[7]}}]',
    );
    expect(frame.kind === "events" && frame.envelopes.map((e) => e.event.type)).toEqual(["queue", "raffle"]);
    const sse = parseSseMessage(1, "7", "queue", '{"product_id":2,"phase":"waiting","joined":1,"served":0,"sold_out":false,"admission_seconds":60}');
    expect(sse?.event.type).toBe("queue");
  });

  it("reads sale changes", () => {
    const sse = parseSseMessage(1, "8", "sale", '{"product_id":2,"sale_open":true,"sale_mode":"open"}');
    expect(sse?.event).toEqual({ type: "sale", product_id: 2, sale_open: true, sale_mode: "open" });
  });

  it("drops unknown event types and garbage", () => {
    expect(parseFrame('[{"id":1,"show_id":1,"event":{"type":"nope"}}]')).toEqual({ kind: "events", envelopes: [] });
    expect(parseFrame("{oops").kind).toBe("invalid");
  });

  it("reads SSE messages carrying an event or a whole envelope", () => {
    const fromEvent = parseSseMessage(1, "9", "viewers", '{"type":"viewers","count":12}');
    expect(fromEvent).toEqual({ id: 9, show_id: 1, event: { type: "viewers", count: 12 } });
    const untyped = parseSseMessage(1, "10", "viewers", '{"count":13}');
    expect(untyped?.event).toEqual({ type: "viewers", count: 13 });
    const env = parseSseMessage(1, "", "message", '{"id":11,"show_id":1,"event":{"type":"viewers","count":1}}');
    expect(env?.id).toBe(11);
  });

  it("processes each event once, in order, across reconnects", () => {
    const e = (id: number) => ({ id, show_id: 1, event: { type: "viewers" as const, count: id } });
    const first = freshEnvelopes([e(2), e(1), e(3)], 0);
    expect(first.fresh.map((x) => x.id)).toEqual([1, 2, 3]);
    const replay = freshEnvelopes([e(2), e(3), e(4)], first.lastId);
    expect(replay.fresh.map((x) => x.id)).toEqual([4]);
    expect(replay.lastId).toBe(4);
  });

  it("backs off exponentially with jitter, capped", () => {
    expect(backoffMs(0, () => 0)).toBe(250);
    expect(backoffMs(0, () => 1)).toBe(500);
    expect(backoffMs(3, () => 1)).toBe(4000);
    expect(backoffMs(20, () => 1)).toBe(15000);
  });
});
