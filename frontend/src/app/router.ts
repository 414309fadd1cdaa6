// Client-side routes: `/`, `/login`, `/s/{show_id}`, `/studio`, `/studio/{show_id}`.
import { useSyncExternalStore } from "react";

export type Route =
  | { name: "home" }
  | { name: "login"; next: string | null }
  | { name: "viewer"; showId: number }
  | { name: "studio"; showId: number | null }
  | { name: "not_found" };

export function parseRoute(pathname: string, search = ""): Route {
  const path = pathname.replace(/\/+$/, "") || "/";
  if (path === "/") return { name: "home" };
  if (path === "/login") {
    const next = new URLSearchParams(search).get("next");
    // Only same-site paths: never redirect to another origin after login.
    return { name: "login", next: next && next.startsWith("/") && !next.startsWith("//") ? next : null };
  }
  let m = /^\/s\/(\d{1,18})$/.exec(path);
  if (m) return { name: "viewer", showId: Number(m[1]) };
  if (path === "/studio") return { name: "studio", showId: null };
  m = /^\/studio\/(\d{1,18})$/.exec(path);
  if (m) return { name: "studio", showId: Number(m[1]) };
  return { name: "not_found" };
}

const listeners = new Set<() => void>();
function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener("popstate", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("popstate", listener);
  };
}

function snapshot(): string {
  return window.location.pathname + window.location.search;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (options.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  for (const l of listeners) l();
  window.scrollTo({ top: 0 });
}

export function useRoute(): Route {
  const location = useSyncExternalStore(subscribe, snapshot);
  const [pathname, search = ""] = location.split("?");
  return parseRoute(pathname ?? "/", search ? `?${search}` : "");
}
