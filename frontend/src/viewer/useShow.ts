// A show's live state for the viewer and the studio: the show, its products with live stock, its
// highlights, chat, viewer count, all kept current by the show's channel.
import { useCallback, useEffect, useRef, useState } from "react";
import { ShowChannel, type ChannelStatus } from "../api/channel";
import type { ChatEvent, ServerControl, ShowChannelEvent } from "../api/contracts";
import { chatHistory, chatSettings, timeline } from "../api/edge";
import { listProducts } from "../api/products";
import { session } from "../api/session";
import { getShow } from "../api/shows";
import type { Product, Show } from "../api/types";
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
}

const MAX_CHAT = 200;

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
  });
  const channelRef = useRef<ShowChannel | null>(null);
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;

  const reload = useCallback(async () => {
    if (showId == null) return;
    try {
      const [show, products] = await Promise.all([getShow(showId), listProducts(showId)]);
      setState((s) => ({ ...s, show, products, stockVersions: {}, loadError: null }));
    } catch (err) {
      setState((s) => ({ ...s, loadError: err }));
      return;
    }
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
  }, [showId]);

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
      listProducts(showId).then(
        (products) => setState((s) => ({ ...s, products, stockVersions: {} })),
        () => undefined,
      );
    }, 5000);
    return () => clearInterval(t);
  }, [showId, channelOpen]);

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

  return { state, reload, addHighlights, patchProduct, removeProduct, applyCounts, channel: channelRef };
}
