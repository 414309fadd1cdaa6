// Shapes of endpoints and events that the APIs do not publish in their OpenAPI documents (yet).
// Each one follows the agreed contract; when the backend publishes it, `npm run gen:api` brings the
// generated type and the alias here is replaced by one in types.ts.

// -- edge: events on /ws/shows/{id} and /sse/shows/{id} (edge/events.py, edge/protocol.py) --------

export interface StockEvent {
  type: "stock";
  product_id: number;
  available: number;
  held: number;
  sold: number;
  version: number;
}

export interface HighlightEvent {
  type: "highlight";
  highlight_id: string;
  product_id: number;
  program_date_time: string;
  created_at: string;
}

export interface ChatEvent {
  type: "chat";
  message_id: number;
  user_id: number;
  display_name: string;
  text: string;
  sent_at: string;
  role?: "host" | "moderator" | "viewer";
}

export interface ChatDeletedEvent {
  type: "chat_deleted";
  message_ids: number[];
}

export interface ViewersEvent {
  type: "viewers";
  count: number;
}

export interface ShowEvent {
  type: "show";
  status: "live" | "idle" | "ended";
  at?: string | null;
}

/** A product's sale opened or closed, or its mode changed (what the buy button offers). */
export interface SaleEvent {
  type: "sale";
  product_id: number;
  sale_open: boolean;
  sale_mode: "open" | "queue" | "raffle";
}

/** A product's waiting room: tickets ranked up to `served` are admitted (position = rank - served). */
export interface QueueEvent {
  type: "queue";
  product_id: number;
  phase: "waiting" | "open";
  joined: number;
  served: number;
  sold_out: boolean;
  admission_seconds: number;
}

/** A product's raffle: entries open, or drawn; `granted_user_ids` got a hold in this step. */
export interface RaffleEvent {
  type: "raffle";
  product_id: number;
  status: "open" | "drawn";
  entries: number;
  seed_digest: string;
  closes_at?: string | null;
  seed?: string | null;
  granted_user_ids?: number[];
}

export type ShowChannelEvent =
  | StockEvent
  | HighlightEvent
  | ChatEvent
  | ChatDeletedEvent
  | ViewersEvent
  | ShowEvent
  | SaleEvent
  | QueueEvent
  | RaffleEvent;

export interface Envelope {
  id: number;
  show_id: number;
  event: ShowChannelEvent;
}

/** Control messages from the server on the WebSocket (objects, not arrays). */
export type ServerControl =
  | {
      type: "hello";
      show_id: number;
      last_event_id: number;
      resume: "live" | "complete" | "gap" | "reset";
      user_id: number | null;
      role: string | null;
      server_time: number;
    }
  | { type: "authenticated"; user_id: number; role: string }
  | { type: "chat_ack"; ref: string | null; message_id: number; event_id: number }
  | { type: "error"; code: string; detail: string; ref?: string | null; retry_after_ms?: number | null }
  | { type: "clock_ping"; seq: number; server_time: number }
  | { type: "pong"; t0: number | null; server_time: number };

export type ClientControl =
  | { type: "auth"; token: string }
  | { type: "chat"; text: string; ref?: string }
  | { type: "clock_pong"; seq: number; client_time: number }
  | { type: "ping"; t0?: number };
