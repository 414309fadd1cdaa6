import { request } from "./http";
import type { Show, ShowIn, ShowPatch, StreamKey } from "./types";

export function listMyShows(): Promise<Show[]> {
  return request<Show[]>("/api/v1/shows?owner=me");
}

export function listLiveShows(): Promise<Show[]> {
  return request<Show[]>("/api/v1/shows?status=live&status=idle&status=scheduled&limit=24", {
    auth: false,
  });
}

export function getShow(id: number): Promise<Show> {
  return request<Show>(`/api/v1/shows/${id}`);
}

export function createShow(body: ShowIn): Promise<Show> {
  return request<Show>("/api/v1/shows", { method: "POST", body });
}

export function updateShow(id: number, body: ShowPatch): Promise<Show> {
  return request<Show>(`/api/v1/shows/${id}`, { method: "PATCH", body });
}

export function endShow(id: number): Promise<Show> {
  return request<Show>(`/api/v1/shows/${id}/end`, { method: "POST" });
}

export function rotateStreamKey(id: number): Promise<StreamKey> {
  return request<StreamKey>(`/api/v1/shows/${id}/stream-key`, { method: "POST" });
}

/** Where the show's recording plays once it has ended. */
export function vodUrl(show: Pick<Show, "id">): string {
  return `/vod/${show.id}/index.m3u8`;
}
