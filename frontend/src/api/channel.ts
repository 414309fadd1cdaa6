// A show's real-time channel: WebSocket `/ws/shows/{id}` (events, chat, the host's clock pings),
// falling back to read-only SSE `/sse/shows/{id}` when WebSockets do not get through. Reconnects
// resume after the last event processed, so no stock update or highlight is lost or seen twice.
import type {
  ClientControl,
  Envelope,
  ServerControl,
  ShowChannelEvent,
} from "./contracts";
import { session } from "./session";

export type Frame =
  | { kind: "events"; envelopes: Envelope[] }
  | { kind: "control"; message: ServerControl }
  | { kind: "invalid" };

const EVENT_TYPES = new Set(["stock", "highlight", "chat", "chat_deleted", "viewers", "show", "sale", "queue", "raffle"]);

function isEnvelope(value: unknown): value is Envelope {
  if (!value || typeof value !== "object") return false;
  const v = value as Partial<Envelope>;
  return (
    typeof v.id === "number" &&
    !!v.event &&
    typeof v.event === "object" &&
    EVENT_TYPES.has((v.event as { type?: string }).type ?? "")
  );
}

/** A WebSocket text frame: an array of envelopes, or one control object. */
export function parseFrame(text: string): Frame {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { kind: "invalid" };
  }
  if (Array.isArray(data)) {
    return { kind: "events", envelopes: data.filter(isEnvelope) };
  }
  if (data && typeof data === "object" && typeof (data as { type?: unknown }).type === "string") {
    return { kind: "control", message: data as ServerControl };
  }
  return { kind: "invalid" };
}

/** One SSE message (`id`, `event`, `data`) as an envelope; the data is the event or an envelope. */
export function parseSseMessage(
  showId: number,
  lastEventId: string,
  eventName: string,
  data: string,
): Envelope | null {
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    return null;
  }
  if (isEnvelope(body)) return body;
  const id = Number(lastEventId);
  if (!body || typeof body !== "object" || !Number.isFinite(id)) return null;
  const type = (body as { type?: string }).type ?? eventName;
  if (!EVENT_TYPES.has(type)) return null;
  return { id, show_id: showId, event: { ...(body as object), type } as ShowChannelEvent };
}

/** Keeps envelopes not seen yet, in id order, and advances the last id. */
export function freshEnvelopes(envelopes: Envelope[], lastId: number): {
  fresh: Envelope[];
  lastId: number;
} {
  const fresh = envelopes.filter((e) => e.id > lastId).sort((a, b) => a.id - b.id);
  return { fresh, lastId: fresh.length ? fresh[fresh.length - 1]!.id : lastId };
}

/** Milliseconds to wait before reconnect attempt `attempt` (0-based): exponential, capped, jittered. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(15_000, 500 * 2 ** Math.min(attempt, 5));
  return Math.round(base / 2 + (random() * base) / 2);
}

export type ChannelStatus = "connecting" | "open" | "reconnecting" | "closed";

export interface ChannelHandlers {
  onEvent: (event: ShowChannelEvent, id: number) => void;
  onControl?: (message: ServerControl) => void;
  onStatus?: (status: ChannelStatus, transport: "ws" | "sse") => void;
  /** The server could not replay what was missed: reload state from the HTTP APIs. */
  onResync?: () => void;
}

const CLOSE_RESUME = 4001;
const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_NOT_FOUND = 4404;
const CLOSE_BAD_REQUEST = 4400;
const WS_FAILURES_BEFORE_SSE = 3;

export class ShowChannel {
  private ws: WebSocket | null = null;
  private sse: EventSource | null = null;
  private lastId = 0;
  private attempt = 0;
  private wsFailures = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private refCounter = 0;

  constructor(
    private readonly showId: number,
    private readonly handlers: ChannelHandlers,
  ) {}

  start(): void {
    this.closed = false;
    this.connect();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close(1000, "bye");
    this.sse?.close();
    this.ws = null;
    this.sse = null;
    this.handlers.onStatus?.("closed", "ws");
  }

  get canSend(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Sends a chat message; the answer arrives as a `chat_ack` or `error` with the same ref. */
  sendChat(text: string): string | null {
    const ref = `c${++this.refCounter}`;
    return this.send({ type: "chat", text, ref }) ? ref : null;
  }

  /** Re-authenticates (after a login or token refresh) without reconnecting. */
  async authenticate(): Promise<void> {
    const token = await session.accessToken();
    if (token) this.send({ type: "auth", token });
  }

  private send(message: ClientControl): boolean {
    if (!this.canSend) return false;
    this.ws!.send(JSON.stringify(message));
    return true;
  }

  private connect(): void {
    if (this.closed) return;
    if (this.wsFailures >= WS_FAILURES_BEFORE_SSE || typeof WebSocket === "undefined") {
      this.connectSse();
      return;
    }
    this.handlers.onStatus?.(this.attempt ? "reconnecting" : "connecting", "ws");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const since = this.lastId ? `?since=${this.lastId}` : "";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/shows/${this.showId}${since}`);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.wsFailures = 0;
      this.handlers.onStatus?.("open", "ws");
      void this.authenticate();
    };
    ws.onmessage = (msg) => {
      if (typeof msg.data === "string") this.onFrame(parseFrame(msg.data));
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closed) return;
      if (!opened) this.wsFailures += 1;
      if (ev.code === CLOSE_NOT_FOUND || ev.code === CLOSE_BAD_REQUEST) {
        this.handlers.onStatus?.("closed", "ws");
        return;
      }
      if (ev.code === CLOSE_UNAUTHORIZED) {
        // A stale token: the next connect authenticates with a refreshed one.
        void session.accessToken();
      }
      const delay = ev.code === CLOSE_RESUME ? 0 : backoffMs(this.attempt++);
      this.handlers.onStatus?.("reconnecting", "ws");
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  private connectSse(): void {
    this.handlers.onStatus?.("connecting", "sse");
    const since = this.lastId ? `?since=${this.lastId}` : "";
    const es = new EventSource(`/sse/shows/${this.showId}${since}`);
    this.sse = es;
    es.onopen = () => {
      this.attempt = 0;
      this.handlers.onStatus?.("open", "sse");
    };
    es.onerror = () => {
      this.handlers.onStatus?.("reconnecting", "sse");
      if (es.readyState !== EventSource.CLOSED || this.sse !== es) return;
      // EventSource gives up on an HTTP error: start over later, WebSocket first again.
      es.close();
      this.sse = null;
      this.wsFailures = 0;
      this.timer = setTimeout(() => this.connect(), backoffMs(this.attempt++));
    };
    es.addEventListener("hello", (msg) => {
      const frame = parseFrame((msg as MessageEvent<string>).data);
      if (frame.kind === "control") this.onFrame(frame);
    });
    const onMessage = (msg: MessageEvent<string>) => {
      const env = parseSseMessage(this.showId, msg.lastEventId, msg.type, msg.data);
      if (env) this.onFrame({ kind: "events", envelopes: [env] });
    };
    for (const type of EVENT_TYPES) es.addEventListener(type, onMessage as EventListener);
    es.onmessage = onMessage;
  }

  private onFrame(frame: Frame): void {
    if (frame.kind === "events") {
      const { fresh, lastId } = freshEnvelopes(frame.envelopes, this.lastId);
      this.lastId = lastId;
      for (const env of fresh) this.handlers.onEvent(env.event, env.id);
      return;
    }
    if (frame.kind !== "control") return;
    const message = frame.message;
    if (message.type === "clock_ping") {
      // Answer at once: the server measures the host's clock offset from the round trip.
      this.send({ type: "clock_pong", seq: message.seq, client_time: Date.now() });
      return;
    }
    if (message.type === "hello") {
      if (message.resume === "gap" || message.resume === "reset") {
        this.lastId = message.last_event_id;
        this.handlers.onResync?.();
      } else if (this.lastId === 0) {
        this.lastId = message.last_event_id;
      }
    }
    this.handlers.onControl?.(message);
  }
}
