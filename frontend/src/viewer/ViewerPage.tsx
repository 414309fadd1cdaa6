import { useCallback, useMemo, useRef, useState } from "react";
import type { ServerControl } from "../api/contracts";
import { vodUrl } from "../api/shows";
import { activeHighlight } from "../lib/highlights";
import { explain } from "../lib/errors";
import { Header } from "../ui/Header";
import { IconBag, IconChat, IconEye } from "../ui/icons";
import { Notice } from "../ui/Notice";
import { StatusBadge } from "../ui/StatusBadge";
import { Chat } from "./Chat";
import { Player, type PlayerHandle } from "./Player";
import { ProductCard } from "./ProductCard";
import { ProductRail } from "./ProductRail";
import { ReplayTimeline } from "./ReplayTimeline";
import { useShow } from "./useShow";

export function ViewerPage({ showId }: { showId: number }) {
  const [control, setControl] = useState<ServerControl | null>(null);
  const { state, addHighlights, channel } = useShow(showId, { onControl: setControl });
  const { show, products, highlights } = state;
  const [playingDate, setPlayingDate] = useState<number | null>(null);
  const [span, setSpan] = useState<{ start: number; end: number } | null>(null);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const [tab, setTab] = useState<"products" | "chat">("products");
  const player = useRef<PlayerHandle>(null);

  const ended = show?.status === "ended";
  const src = show ? (ended ? vodUrl(show) : show.hls_url) : null;

  const current = useMemo(() => activeHighlight(highlights, playingDate), [highlights, playingDate]);
  const currentProduct = current ? products.find((p) => p.id === current.productId) ?? null : null;
  const showCard = currentProduct && current && dismissed !== current.highlightId;

  const onPlayingDate = useCallback((ms: number | null) => setPlayingDate(ms), []);
  const drops = useMemo(
    () => ({ queues: state.queues, raffles: state.raffles, channelOpen: state.channel === "open" }),
    [state.queues, state.raffles, state.channel],
  );

  if (state.loadError && !show) {
    return (
      <>
        <Header />
        <main className="page narrow">
          <h1 tabIndex={-1}>This show is not available</h1>
          <Notice tone="error">{explain(state.loadError).message}</Notice>
        </main>
      </>
    );
  }

  return (
    <>
      <Header>
        {show && (
          <span className="topbar-title">
            <StatusBadge status={show.status} />
            <span className="ellipsis">{show.title}</span>
          </span>
        )}
      </Header>
      <main className="viewer">
        <div className="stage">
          <div className="stage-video">
            {src && (
              <Player
                key={src}
                ref={player}
                src={src}
                live={!ended}
                onPlayingDate={onPlayingDate}
                onDateRanges={addHighlights}
                onSpan={setSpan}
              />
            )}
            {showCard && (
              <div className="card-slot">
                <ProductCard
                  key={current.highlightId}
                  product={currentProduct}
                  clockOffsetMs={state.clockOffsetMs}
                  drops={drops}
                  onClose={() => setDismissed(current.highlightId)}
                />
              </div>
            )}
          </div>
          <div className="show-meta">
            <h1 tabIndex={-1}>{show?.title ?? "Loading…"}</h1>
            <div className="show-meta-row">
              {show && <StatusBadge status={show.status} />}
              {state.viewers != null && (
                <span className="viewers" aria-label={`${state.viewers} watching`}>
                  <IconEye size={16} /> {state.viewers}
                </span>
              )}
              {state.channel === "reconnecting" && <span className="small muted">Live updates reconnecting…</span>}
            </div>
            {show?.description && <p className="muted">{show.description}</p>}
          </div>
          {ended && (
            <ReplayTimeline
              span={span}
              highlights={highlights}
              products={products}
              playingDate={playingDate}
              onSeek={(ms) => {
                setDismissed(null);
                player.current?.seekToDate(ms);
              }}
            />
          )}
        </div>
        <aside className="side" aria-label="Shop and chat">
          <div className="tabs" role="tablist" aria-label="Shop and chat">
            <button
              type="button"
              role="tab"
              id="tab-products"
              aria-selected={tab === "products"}
              aria-controls="panel-products"
              className="tab"
              onClick={() => setTab("products")}
            >
              <IconBag size={16} /> Products <span className="count">{products.length}</span>
            </button>
            <button
              type="button"
              role="tab"
              id="tab-chat"
              aria-selected={tab === "chat"}
              aria-controls="panel-chat"
              className="tab"
              onClick={() => setTab("chat")}
            >
              <IconChat size={16} /> Chat
            </button>
          </div>
          <section
            id="panel-products"
            role="tabpanel"
            aria-labelledby="tab-products"
            className={`panel ${tab === "products" ? "" : "panel-hidden-mobile"}`}
          >
            <ProductRail
              products={products}
              activeProductId={showCard ? currentProduct.id : null}
              clockOffsetMs={state.clockOffsetMs}
              drops={drops}
            />
          </section>
          <section
            id="panel-chat"
            role="tabpanel"
            aria-labelledby="tab-chat"
            className={`panel panel-chat ${tab === "chat" ? "" : "panel-hidden-mobile"}`}
          >
            <Chat
              lines={state.chat}
              slowModeSeconds={state.slowModeSeconds}
              channel={channel}
              control={control}
              ended={ended}
            />
          </section>
        </aside>
      </main>
    </>
  );
}
