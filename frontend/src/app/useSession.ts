import { useSyncExternalStore } from "react";
import { session, type StoredSession } from "../api/session";

export function useSession(): StoredSession | null {
  return useSyncExternalStore(session.subscribe, session.get);
}
