// Holds, orders, sales, queue and raffle: the buying side of commerce.
import type { Hold, Order, QueueTicket, RaffleEntry, ShowSales } from "./contracts";
import { request } from "./http";

export function createHold(productId: number, quantity: number): Promise<Hold> {
  return request<Hold>(`/api/v1/products/${productId}/holds`, {
    method: "POST",
    body: { quantity },
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
    body: { hold_id: holdId, payment: { provider: "manual" } },
    headers: { "idempotency-key": idempotencyKey },
  });
}

export function listOrders(): Promise<Order[]> {
  return request<Order[]>("/api/v1/orders");
}

export function showSales(showId: number): Promise<ShowSales> {
  return request<ShowSales>(`/api/v1/shows/${showId}/sales`);
}

export function joinQueue(productId: number): Promise<QueueTicket> {
  return request<QueueTicket>(`/api/v1/products/${productId}/queue`, { method: "POST" });
}

export function queueStatus(productId: number): Promise<QueueTicket> {
  return request<QueueTicket>(`/api/v1/products/${productId}/queue`);
}

export function enterRaffle(productId: number): Promise<RaffleEntry> {
  return request<RaffleEntry>(`/api/v1/products/${productId}/raffle`, { method: "POST" });
}

export function raffleStatus(productId: number): Promise<RaffleEntry> {
  return request<RaffleEntry>(`/api/v1/products/${productId}/raffle`);
}
