// Highlights, the timeline and chat moderation (edge HTTP API).
import { request } from "./http";
import type {
  ChatHistory,
  ChatSettings,
  Highlight,
  RestrictionIn,
  Timeline,
} from "./types";

/** Highlights a product; `capturedAt` is the host's clock at the click (the server corrects it). */
export function highlight(showId: number, productId: number, capturedAt: Date): Promise<Highlight> {
  return request<Highlight>(`/api/v1/shows/${showId}/highlights`, {
    method: "POST",
    body: { product_id: productId, captured_at: capturedAt.toISOString() },
  });
}

export function timeline(showId: number): Promise<Timeline> {
  return request<Timeline>(`/api/v1/shows/${showId}/timeline`, { auth: false });
}

export function chatHistory(showId: number, limit = 50): Promise<ChatHistory> {
  return request<ChatHistory>(`/api/v1/shows/${showId}/chat/messages?limit=${limit}`, {
    auth: false,
  });
}

export function chatSettings(showId: number): Promise<ChatSettings> {
  return request<ChatSettings>(`/api/v1/shows/${showId}/chat/settings`, { auth: false });
}

export function setSlowMode(showId: number, seconds: number): Promise<ChatSettings> {
  return request<ChatSettings>(`/api/v1/shows/${showId}/chat/settings`, {
    method: "PUT",
    body: { slow_mode_seconds: seconds },
  });
}

export function deleteChatMessage(showId: number, messageId: number): Promise<void> {
  return request<void>(`/api/v1/shows/${showId}/chat/messages/${messageId}`, { method: "DELETE" });
}

export function restrictUser(
  showId: number,
  userId: number,
  kind: "mutes" | "bans",
  body: RestrictionIn,
): Promise<unknown> {
  return request(`/api/v1/shows/${showId}/chat/${kind}/${userId}`, { method: "PUT", body });
}
