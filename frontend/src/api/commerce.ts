// Holds, orders and sales: the buying side of commerce (queue and raffle: fairness.ts).
import { request } from "./http";
import type { CheckoutIn, Hold, HoldIn, Order, ShowSales } from "./types";

/** Reserves units; the key makes a retried tap (flaky network) reserve only once. */
export function createHold(productId: number, quantity: number, idempotencyKey?: string): Promise<Hold> {
  const body: HoldIn = { quantity };
  return request<Hold>(`/api/v1/products/${productId}/holds`, {
    method: "POST",
    body,
    headers: idempotencyKey ? { "idempotency-key": idempotencyKey } : {},
  });
}

export function releaseHold(holdId: string): Promise<void> {
  return request<void>(`/api/v1/holds/${encodeURIComponent(holdId)}`, { method: "DELETE" });
}

export function listHolds(): Promise<Hold[]> {
  return request<Hold[]>("/api/v1/holds");
}

/** Turns a hold into an order exactly once: retries reuse the same idempotency key. */
export function checkout(holdId: string, idempotencyKey: string): Promise<Order> {
  return request<Order>("/api/v1/orders", {
    method: "POST",
    body: { hold_id: holdId, payment: { provider: "manual" } } satisfies CheckoutIn,
    headers: { "idempotency-key": idempotencyKey },
  });
}

export function listOrders(): Promise<Order[]> {
  return request<Order[]>("/api/v1/orders");
}

export function showSales(showId: number): Promise<ShowSales> {
  return request<ShowSales>(`/api/v1/shows/${showId}/sales`);
}

/** The show's orders, newest first (its host). */
export function showOrders(showId: number): Promise<Order[]> {
  return request<Order[]>(`/api/v1/shows/${showId}/orders`);
}
