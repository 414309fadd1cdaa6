// The signed-in user's tokens. Kept in localStorage so a reload stays signed in; the access token
// is short-lived and refreshed (single-flight) shortly before it expires or after a 401.
import type { Tokens, User } from "./types";

const STORAGE_KEY = "showfloor.session";
/** Refresh this long before the access token expires. */
const EARLY_REFRESH_MS = 30_000;

export interface StoredSession {
  accessToken: string;
  accessExpiresAt: number; // ms since the epoch
  refreshToken: string;
  user: User;
}

type Listener = () => void;

function load(): StoredSession | null {
  try {
    const raw = globalThis.localStorage?.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as StoredSession) : null;
  } catch {
    return null;
  }
}

export function sessionFromTokens(tokens: Tokens, now: number = Date.now()): StoredSession {
  return {
    accessToken: tokens.access_token,
    accessExpiresAt: now + tokens.expires_in * 1000,
    refreshToken: tokens.refresh_token,
    user: tokens.user,
  };
}

class SessionStore {
  private current: StoredSession | null = load();
  private listeners = new Set<Listener>();
  private refreshing: Promise<string | null> | null = null;

  get = (): StoredSession | null => this.current;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  set(next: StoredSession | null): void {
    this.current = next;
    try {
      if (next) globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(next));
      else globalThis.localStorage?.removeItem(STORAGE_KEY);
    } catch {
      // Private mode or storage full: the session lives in memory only.
    }
    for (const listener of this.listeners) listener();
  }

  /** A valid access token, refreshed first when it is about to expire; null when signed out. */
  async accessToken(): Promise<string | null> {
    const s = this.current;
    if (!s) return null;
    if (s.accessExpiresAt - EARLY_REFRESH_MS > Date.now()) return s.accessToken;
    return this.refresh();
  }

  /** After the API refused `token`: a fresh one, or null (then the user is signed out). */
  async refreshAfterRejection(token: string): Promise<string | null> {
    const s = this.current;
    if (!s) return null;
    if (s.accessToken !== token) return s.accessToken; // another request already refreshed
    return this.refresh();
  }

  private refresh(): Promise<string | null> {
    if (this.refreshing) return this.refreshing;
    const s = this.current;
    if (!s) return Promise.resolve(null);
    this.refreshing = (async () => {
      try {
        const res = await fetch("/api/v1/auth/refresh", {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify({ refresh_token: s.refreshToken }),
        });
        if (!res.ok) {
          if (res.status === 401 || res.status === 400) this.set(null);
          return null;
        }
        const next = sessionFromTokens((await res.json()) as Tokens);
        this.set(next);
        return next.accessToken;
      } catch {
        return null; // offline: keep the session, the next call tries again
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }
}

export const session = new SessionStore();
