// Fair drops: the waiting room (queue mode), raffles, the drop's rules and the show's purchase limit.
import { request } from "./http";
import type {
  DropRules,
  DropRulesIn,
  QueueRoom,
  Raffle,
  RaffleEntry,
  RaffleOpenIn,
  ShowLimit,
  ShowLimitIn,
  Ticket,
} from "./types";

const product = (id: number) => `/api/v1/products/${id}`;

// -- the waiting room ----------------------------------------------------------------------------

/** Takes a ticket (joining again returns the same one). */
export function joinQueue(productId: number): Promise<Ticket> {
  return request<Ticket>(`${product(productId)}/queue`, { method: "POST" });
}

/** The signed-in viewer's ticket (404 `not_found` when they have not joined). */
export function myTicket(productId: number): Promise<Ticket> {
  return request<Ticket>(`${product(productId)}/queue/me`);
}

/** A ticket by its id: position, estimated wait, admission. */
export function ticketStatus(productId: number, ticket: string): Promise<Ticket> {
  return request<Ticket>(`${product(productId)}/queue/${encodeURIComponent(ticket)}`, { auth: false });
}

export function leaveQueue(productId: number): Promise<void> {
  return request<void>(`${product(productId)}/queue/me`, { method: "DELETE" });
}

/** The room as everyone sees it: phase, people waiting, admitted so far. */
export function queueRoom(productId: number): Promise<QueueRoom> {
  return request<QueueRoom>(`${product(productId)}/queue`, { auth: false });
}

/** Lets viewers join before the sale opens (its host). */
export function announceQueue(productId: number): Promise<QueueRoom> {
  return request<QueueRoom>(`${product(productId)}/queue/announce`, { method: "POST" });
}

// -- raffles -------------------------------------------------------------------------------------

export function enterRaffle(productId: number): Promise<RaffleEntry> {
  return request<RaffleEntry>(`${product(productId)}/raffle`, { method: "POST" });
}

/** The raffle, with the signed-in viewer's entry (404 `no_raffle` before the host opens it). */
export function raffleStatus(productId: number): Promise<Raffle> {
  return request<Raffle>(`${product(productId)}/raffle`);
}

/** Opens entries, until `closesAt` or until the host closes them (its host). */
export function openRaffle(productId: number, closesAt: Date | null = null): Promise<Raffle> {
  const body: RaffleOpenIn = { closes_at: closesAt ? closesAt.toISOString() : null };
  return request<Raffle>(`${product(productId)}/raffle/open`, { method: "POST", body });
}

/** Closes entries and draws; winners get their holds at once (its host). */
export function closeRaffle(productId: number): Promise<Raffle> {
  return request<Raffle>(`${product(productId)}/raffle/close`, { method: "POST" });
}

// -- rules and limits ----------------------------------------------------------------------------

export function dropRules(productId: number): Promise<DropRules> {
  return request<DropRules>(`${product(productId)}/fairness`, { auth: false });
}

export function setDropRules(productId: number, body: DropRulesIn): Promise<DropRules> {
  return request<DropRules>(`${product(productId)}/fairness`, { method: "PUT", body });
}

export function showLimit(showId: number): Promise<ShowLimit> {
  return request<ShowLimit>(`/api/v1/shows/${showId}/purchase-limit`, { auth: false });
}

/** Caps what one buyer holds and buys across the show's products; null clears it (its host). */
export function setShowLimit(showId: number, perUserLimit: number | null): Promise<ShowLimit> {
  const body: ShowLimitIn = { per_user_limit: perUserLimit };
  return request<ShowLimit>(`/api/v1/shows/${showId}/purchase-limit`, { method: "PUT", body });
}
