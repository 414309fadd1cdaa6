import { describe, expect, it } from "vitest";
import { ApiError, parseRetryAfter, problemOf } from "../api/http";
import { ERROR_SENTENCES, explain, explainCode, fieldErrors } from "./errors";

describe("error codes as sentences", () => {
  const contractCodes = [
    "sold_out", "limit_exceeded", "sale_not_open", "hold_expired", "too_many_requests",
    "invalid_credentials", "email_taken", "sku_taken", "unauthorized", "forbidden", "not_found",
    "invalid_input", "too_many_attempts", "stock_below_committed", "invalid_transition",
    "rate_limited", "muted", "banned", "show_ended", "message_too_long", "not_show_host",
    "product_not_in_show", "media_unavailable", "stream_time_unknown", "captured_at_out_of_range",
    "auth_required", "token_expired", "show_not_found", "network_error",
    // Fair drops
    "not_admitted", "admission_required", "admission_expired", "queue_not_open", "queue_unavailable",
    "not_a_queue", "not_a_raffle", "raffle_not_open", "raffle_closed", "raffle_drawn", "no_raffle",
    "already_entered", "account_too_new", "show_limit_exceeded",
  ];

  it.each(contractCodes)("%s has its own sentence", (code) => {
    expect(ERROR_SENTENCES[code]).toBeDefined();
    const { message } = explainCode(code, "", 3);
    expect(message).toMatch(/^[A-Z].*[.!]$/);
  });

  it("tells the user what to do next", () => {
    expect(explainCode("sold_out").message).toMatch(/check again/i);
    expect(explainCode("hold_expired").message).toMatch(/tap buy/i);
    expect(explainCode("sale_not_open").message).toMatch(/lights up/i);
  });

  it("says what to do next on a fair drop", () => {
    expect(explainCode("not_admitted").message).toMatch(/keep this page open/i);
    expect(explainCode("admission_expired").message).toMatch(/next people in line/i);
    expect(explainCode("already_entered").message).toMatch(/result appears here/i);
    expect(explainCode("raffle_closed").message).toMatch(/closed/i);
    expect(explainCode("show_limit_exceeded").message).toMatch(/finish checkout/i);
    // The server says how long until the account is old enough; the sentence keeps it.
    const tooNew = explainCode("account_too_new", "This drop is open to accounts at least 7 days old; yours will be in 2 days.");
    expect(tooNew.message).toMatch(/yours will be in 2 days\. Until then/);
    expect(explainCode("account_too_new").message).toMatch(/too new/);
    // Rate limits on holds, joins and entries, not only logins.
    expect(explainCode("too_many_attempts", "", 10).message).toBe(
      "Too many attempts in a short time. Wait, then try again in 10 seconds.",
    );
  });

  it("puts Retry-After into the sentence", () => {
    expect(explainCode("too_many_requests", "", 12).message).toBe(
      "Lots of people are trying at once. Try again in 12 seconds.",
    );
    expect(explainCode("too_many_requests", "", 300).message).toMatch(/about 5 minutes/);
    expect(explainCode("too_many_requests").message).toMatch(/in a moment/);
  });

  it("explains ApiErrors, WebSocket errors and browser media errors", () => {
    const api = new ApiError({ status: 409, code: "limit_exceeded", detail: "x" });
    expect(explain(api).code).toBe("limit_exceeded");
    const ws = { type: "error", code: "rate_limited", detail: "slow", retry_after_ms: 2500 };
    expect(explain(ws).message).toMatch(/in 3 seconds/);
    expect(explain(new DOMException("no", "NotAllowedError")).code).toBe("media_not_allowed");
  });

  it("falls back to the server's detail for an unknown code", () => {
    expect(explainCode("brand_new_code", "The server says why.").message).toBe("The server says why.");
    expect(explain(new Error("boom")).message).toBe("boom");
  });

  it("maps field errors by field", () => {
    const err = new ApiError({
      status: 400, code: "invalid_input", errors: [{ field: "stock", message: "must be >= 0" }],
    });
    expect(fieldErrors(err)).toEqual({ stock: "must be >= 0" });
    expect(fieldErrors(new Error("x"))).toEqual({});
  });
});

describe("problem details from responses", () => {
  it("reads code, detail and Retry-After", async () => {
    const res = new Response(
      JSON.stringify({ type: "t", title: "Sold out", status: 409, code: "sold_out", detail: "gone" }),
      { status: 409, headers: { "content-type": "application/problem+json", "retry-after": "7" } },
    );
    const err = await problemOf(res);
    expect([err.status, err.code, err.detail, err.retryAfter]).toEqual([409, "sold_out", "gone", 7]);
  });

  it("names errors without a problem body by status", async () => {
    expect((await problemOf(new Response("<html>", { status: 429 }))).code).toBe("too_many_requests");
    expect((await problemOf(new Response("", { status: 502 }))).code).toBe("server_error");
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-03-01T18:00:00Z");
    expect(parseRetryAfter("5", now)).toBe(5);
    expect(parseRetryAfter("Sun, 01 Mar 2026 18:00:10 GMT", now)).toBe(10);
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
  });
});
