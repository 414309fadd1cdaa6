// A show's live state for the viewer and the studio: the show, its products with live stock, its
// highlights, chat, viewer count, all kept current by the show's channel.
import { useCallback, useEffect, useRef, useState } from "react";
import { ShowChannel, type ChannelStatus } from "../api/channel";
import type { ChatEvent, QueueEvent, RaffleEvent, ServerControl, ShowChannelEvent } from "../api/contracts";
import { chatHistory, chatSettings, timeline } from "../api/edge";
import { queueRoom, raffleStatus } from "../api/fairness";
import { listProducts } from "../api/products";
import { session } from "../api/session";
import { getShow } from "../api/shows";
import type { Product, QueueRoom, Raffle, Show } from "../api/types";
import { mergeHighlights, type HighlightSource, type ScheduledHighlight } from "../lib/highlights";
import { applyStock } from "../lib/stock";

export interface ChatLine {
  id: number;
  userId: number;
  name: string;
  text: string;
  sentAt: string;
  role: string;
}

export interface ShowState {
  show: Show | null;
  products: Product[];
  highlights: ScheduledHighlight[];
  chat: ChatLine[];
  slowModeSeconds: number;
  viewers: number | null;
  channel: ChannelStatus;
  /** Server clock minus this device's clock, ms (from the channel's hello). */
  clockOffsetMs: number;
  loadError: unknown;
  stockVersions: Record<number, number>;
  /** Waiting rooms by product (queue mode), as the last `queue` event or the API told. */
  queues: Record<number, QueueEvent>;
  /** Raffles by product, as the last `raffle` event or the API told. */
  raffles: Record<number, RaffleEvent>;
}

const MAX_CHAT = 200;

/** A waiting room read from the API, in the shape of the channel's event (null: not announced). */
export function roomEvent(room: QueueRoom): QueueEvent | null {
  if (room.phase !== "waiting" && room.phase !== "open") return null;
  return {
    type: "queue",
    product_id: room.product_id,
    phase: room.phase,
    joined: room.joined,
    served: room.served,
    sold_out: room.sold_out,
    admission_seconds: room.admission_seconds,
  };
}

/** A raffle read from the API, in the shape of the channel's event. */
export function raffleEvent(raffle: Raffle): RaffleEvent {
  return {
    type: "raffle",
    product_id: raffle.product_id,
    status: raffle.status,
    entries: raffle.entries,
    seed_digest: raffle.seed_digest,
    closes_at: raffle.closes_at,
    seed: raffle.seed,
    granted_user_ids: [],
  };
}

/** People still waiting in a room (before opening: everyone who joined). */
export function waitingCount(room: QueueEvent): number {
  return room.phase === "open" ? Math.max(0, room.joined - room.served) : room.joined;
}

function chatLine(e: ChatEvent): ChatLine {
  return {
    id: e.message_id,
    userId: e.user_id,
    name: e.display_name,
    text: e.text,
    sentAt: e.sent_at,
    role: e.role ?? "viewer",
  };
}

export function useShow(showId: number | null, handlers: {
  onControl?: (m: ServerControl) => void;
  onEvent?: (e: ShowChannelEvent) => void;
} = {}) {
  const [state, setState] = useState<ShowState>({
    show: null,
    products: [],
    highlights: [],
    chat: [],
    slowModeSeconds: 0,
    viewers: null,
    channel: "connecting",
    clockOffsetMs: 0,
    loadError: null,
    stockVersions: {},
    queues: {},
    raffles: {},
  });
  const channelRef = useRef<ShowChannel | null>(null);
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;

  /** Reads a product's waiting room or raffle (after a reload, a mode change, a host action). */
  const refreshDrop = useCallback((product: Pick<Product, "id" | "sale_mode">) => {
    if (product.sale_mode === "queue") {
      queueRoom(product.id).then((room) => {
        const event = roomEvent(room);
        setState((s) => {
          const queues = { ...s.queues };
          if (event) queues[product.id] = event;
          else delete queues[product.id];
          return { ...s, queues };
        });
      }, () => undefined);
    } else if (product.sale_mode === "raffle") {
      raffleStatus(product.id).then(
        (raffle) => setState((s) => ({ ...s, raffles: { ...s.raffles, [product.id]: raffleEvent(raffle) } })),
        () => undefined, // 404 no_raffle: entries not opened yet
      );
    }
  }, []);

  /** What a host action answered (announce, open entries, draw): shown before the event arrives. */
  const putDrop = useCallback((event: QueueEvent | RaffleEvent) => {
    setState((s) =>
      event.type === "queue"
        ? { ...s, queues: { ...s.queues, [event.product_id]: event } }
        : { ...s, raffles: { ...s.raffles, [event.product_id]: event } },
    );
  }, []);

  const reload = useCallback(async () => {
    if (showId == null) return;
    let products: Product[];
    try {
      const [show, loaded] = await Promise.all([getShow(showId), listProducts(showId)]);
      products = loaded;
      setState((s) => ({ ...s, show, products, stockVersions: {}, loadError: null }));
    } catch (err) {
      setState((s) => ({ ...s, loadError: err }));
      return;
    }
    for (const p of products) refreshDrop(p);
    // Edge-side state: optional, the page works without it.
    timeline(showId).then(
      (t) =>
        setState((s) => ({
          ...s,
          highlights: mergeHighlights(
            s.highlights,
            t.highlights.map((h) => ({ highlightId: h.highlight_id, productId: h.product_id, start: h.start })),
          ),
        })),
      () => undefined,
    );
    chatHistory(showId).then(
      (h) =>
        setState((s) => ({
          ...s,
          chat: h.messages.map((m) => ({
            id: m.message_id,
            userId: m.user_id,
            name: m.display_name,
            text: m.text,
            sentAt: m.sent_at,
            role: "viewer",
          })),
        })),
      () => undefined,
    );
    chatSettings(showId).then(
      (c) => setState((s) => ({ ...s, slowModeSeconds: c.slow_mode_seconds })),
      () => undefined,
    );
  }, [showId, refreshDrop]);

  const addHighlights = useCallback((incoming: HighlightSource[]) => {
    setState((s) => {
      const known = new Set(s.highlights.map((h) => h.highlightId));
      if (incoming.every((h) => known.has(h.highlightId))) return s;
      return { ...s, highlights: mergeHighlights(s.highlights, incoming) };
    });
  }, []);

  const patchProduct = useCallback((product: Product) => {
    setState((s) => {
      const exists = s.products.some((p) => p.id === product.id);
      return {
        ...s,
        products: exists
          ? s.products.map((p) => (p.id === product.id ? product : p))
          : [...s.products, product],
      };
    });
  }, []);

  /** Counts from the sales report (host), for when stock events are late or missing. */
  const applyCounts = useCallback(
    (counts: Array<{ product_id: number; available: number; held: number; sold: number; stock: number }>) => {
      const byId = new Map(counts.map((c) => [c.product_id, c]));
      setState((s) => ({
        ...s,
        products: s.products.map((p) => {
          const c = byId.get(p.id);
          return c && (c.available !== p.available || c.held !== p.held || c.sold !== p.sold || c.stock !== p.stock)
            ? { ...p, available: c.available, held: c.held, sold: c.sold, stock: c.stock }
            : p;
        }),
      }));
    },
    [],
  );

  // Without a live channel (edge unreachable, a proxy that drops WebSockets and SSE), stock is
  // polled so the rail never shows stale availability for long.
  const channelOpen = state.channel === "open";
  useEffect(() => {
    if (showId == null || channelOpen) return;
    const t = setInterval(() => {
      listProducts(showId).then((products) => {
        setState((s) => ({ ...s, products, stockVersions: {} }));
        // Waiting lines and raffles too: their events travel on the same channel.
        for (const p of products) refreshDrop(p);
      }, () => undefined);
    }, 5000);
    return () => clearInterval(t);
  }, [showId, channelOpen, refreshDrop]);

  const removeProduct = useCallback((id: number) => {
    setState((s) => ({ ...s, products: s.products.filter((p) => p.id !== id) }));
  }, []);

  useEffect(() => {
    if (showId == null) return;
    void reload();
    const channel = new ShowChannel(showId, {
      onStatus: (status) => setState((s) => ({ ...s, channel: status })),
      onResync: () => void reload(),
      onControl: (m) => {
        if (m.type === "hello") {
          setState((s) => ({ ...s, clockOffsetMs: m.server_time - Date.now() }));
        }
        handlersRef.current.onControl?.(m);
      },
      onEvent: (event) => {
        handlersRef.current.onEvent?.(event);
        setState((s) => {
          switch (event.type) {
            case "stock":
            {
              const next = applyStock(s.products, s.stockVersions, event);
              return { ...s, products: next.products, stockVersions: next.versions };
            }
            case "highlight":
              return {
                ...s,
                highlights: mergeHighlights(s.highlights, [
                  { highlightId: event.highlight_id, productId: event.product_id, start: event.program_date_time },
                ]),
              };
            case "chat": {
              if (s.chat.some((c) => c.id === event.message_id)) return s;
              const chat = [...s.chat, chatLine(event)];
              return { ...s, chat: chat.length > MAX_CHAT ? chat.slice(-MAX_CHAT) : chat };
            }
            case "chat_deleted": {
              const gone = new Set(event.message_ids);
              return { ...s, chat: s.chat.filter((c) => !gone.has(c.id)) };
            }
            case "viewers":
              return { ...s, viewers: event.count };
            case "show":
              return s.show
                ? { ...s, show: { ...s.show, status: event.status } }
                : s;
            case "sale":
              return {
                ...s,
                products: s.products.map((p) =>
                  p.id === event.product_id
                    ? { ...p, sale_open: event.sale_open, sale_mode: event.sale_mode }
                    : p,
                ),
              };
            case "queue":
              return {
                ...s,
                queues: { ...s.queues, [event.product_id]: event },
                // Only queue-mode products have a waiting room.
                products: s.products.map((p) =>
                  p.id === event.product_id && p.sale_mode !== "queue" ? { ...p, sale_mode: "queue" } : p,
                ),
              };
            case "raffle":
              return {
                ...s,
                raffles: { ...s.raffles, [event.product_id]: event },
                // The draw opens the sale: winners' holds go through it.
                products: s.products.map((p) =>
                  p.id === event.product_id
                    ? { ...p, sale_mode: "raffle", sale_open: p.sale_open || event.status === "drawn" }
                    : p,
                ),
              };
          }
        });
      },
    });
    channelRef.current = channel;
    channel.start();
    // Signing in or out while watching re-authenticates the channel (for chat).
    const unsubscribe = session.subscribe(() => void channel.authenticate());
    return () => {
      unsubscribe();
      channel.close();
      channelRef.current = null;
    };
  }, [showId, reload]);

  return { state, reload, refreshDrop, putDrop, addHighlights, patchProduct, removeProduct, applyCounts, channel: channelRef };
}
