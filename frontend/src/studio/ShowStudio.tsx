import { useCallback, useEffect, useState } from "react";
import type { ServerControl } from "../api/contracts";
import { showOrders, showSales } from "../api/commerce";
import { deleteChatMessage, restrictUser, setSlowMode } from "../api/edge";
import { endShow, rotateStreamKey } from "../api/shows";
import type { Order, Product, Show, ShowSales } from "../api/types";
import { explain } from "../lib/errors";
import { formatPrice } from "../lib/money";
import { Link } from "../ui/Link";
import { Notice } from "../ui/Notice";
import { StatusBadge } from "../ui/StatusBadge";
import { Chat } from "../viewer/Chat";
import { useShow, type ChatLine } from "../viewer/useShow";
import { Broadcast } from "./Broadcast";
import { Products } from "./Products";

export function ShowStudio({ showId, onShowChanged }: { showId: number; onShowChanged: (s: Show) => void }) {
  const [control, setControl] = useState<ServerControl | null>(null);
  const { state, reload, refreshDrop, putDrop, patchProduct, removeProduct, applyCounts, channel } = useShow(showId, {
    onControl: setControl,
  });
  const productChanged = useCallback(
    (p: Product) => {
      patchProduct(p);
      refreshDrop(p); // a new mode has its own line or raffle
    },
    [patchProduct, refreshDrop],
  );
  const { show, products } = state;
  const [highlighted, setHighlighted] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const ended = show?.status === "ended";

  if (!show) {
    return state.loadError ? (
      <Notice tone="error">{explain(state.loadError).message}</Notice>
    ) : (
      <p className="muted" role="status">Loading the show…</p>
    );
  }

  return (
    <div className="show-studio">
      <div className="studio-head">
        <div>
          <h1 tabIndex={-1}>{show.title}</h1>
          <div className="row small">
            <StatusBadge status={show.status} />
            <Link to={`/s/${show.id}`} target="_blank" rel="noopener">
              Open the viewer page ↗
            </Link>
          </div>
        </div>
        {!ended && (
          <button
            type="button"
            className="btn btn-ghost"
            onClick={async () => {
              if (!window.confirm("End this show for good? Viewers get the replay.")) return;
              try {
                const next = await endShow(show.id);
                onShowChanged(next);
                void reload();
              } catch (err) {
                setError(err);
              }
            }}
          >
            End show
          </button>
        )}
      </div>
      {error != null && <Notice tone="error" onDismiss={() => setError(null)}>{explain(error).message}</Notice>}
      <div className="studio-grid">
        <div className="studio-col">
          <Broadcast showId={show.id} streamKey={show.stream_key} ended={ended} viewers={state.viewers} />
          <StreamKeyBox show={show} onRotated={() => void reload()} />
        </div>
        <div className="studio-col">
          <Products
            showId={show.id}
            products={products}
            ended={ended}
            highlightedProductId={highlighted}
            queues={state.queues}
            raffles={state.raffles}
            onDrop={putDrop}
            onChanged={productChanged}
            onRemoved={removeProduct}
            onHighlighted={setHighlighted}
          />
          <Sales showId={show.id} products={products} onCounts={applyCounts} />
          <Moderation
            showId={show.id}
            lines={state.chat}
            slowModeSeconds={state.slowModeSeconds}
            channel={channel}
            control={control}
            ended={ended}
            onSlowMode={() => void reload()}
          />
        </div>
      </div>
    </div>
  );
}

function StreamKeyBox({ show, onRotated }: { show: Show; onRotated: () => void }) {
  const [visible, setVisible] = useState(false);
  const rtmp = `rtmp://${location.hostname}:1935/live/`;
  return (
    <section className="card" aria-labelledby="key-title">
      <h2 id="key-title">Stream from OBS or ffmpeg</h2>
      <p className="small muted">
        Server <code>{rtmp}</code>, stream key below. Keep the key secret: anyone with it can stream to your
        show.
      </p>
      <div className="row">
        <code className="key" aria-label="Stream key">
          {visible ? show.stream_key : "••••••••••••••••"}
        </code>
        <button type="button" className="btn btn-ghost btn-sm" onClick={() => setVisible(!visible)} aria-pressed={visible}>
          {visible ? "Hide" : "Show"}
        </button>
        <button
          type="button"
          className="btn btn-ghost btn-sm"
          onClick={async () => {
            if (!window.confirm("Make a new stream key? The current one stops working at once.")) return;
            await rotateStreamKey(show.id);
            onRotated();
          }}
        >
          New key
        </button>
      </div>
    </section>
  );
}

function Sales({
  showId,
  products,
  onCounts,
}: {
  showId: number;
  products: Product[];
  onCounts: (counts: ShowSales["products"]) => void;
}) {
  const [sales, setSales] = useState<ShowSales | null>(null);
  const [orders, setOrders] = useState<Order[]>([]);

  // Polled, and refreshed at once when stock moves (a hold or an order changes the counts).
  const stockKey = products.map((p) => `${p.id}:${p.held}:${p.sold}`).join(",");
  const load = useCallback(() => {
    showSales(showId).then((report) => {
      setSales(report);
      onCounts(report.products);
    }, () => undefined);
    showOrders(showId).then(setOrders, () => undefined);
  }, [showId, onCounts]);

  useEffect(() => {
    load();
    const t = setInterval(load, 5000);
    return () => clearInterval(t);
  }, [load, stockKey]);

  const title = (id: number) => products.find((p) => p.id === id)?.title ?? `Product ${id}`;
  const revenue = Object.entries(sales?.revenue_minor ?? {});
  return (
    <section className="card" aria-labelledby="sales-title">
      <h2 id="sales-title">Sales</h2>
      <dl className="stats">
        <div>
          <dt>Sold</dt>
          <dd data-testid="sales-sold">{sales?.units_sold ?? products.reduce((n, p) => n + p.sold, 0)}</dd>
        </div>
        <div>
          <dt>In carts</dt>
          <dd data-testid="sales-held">{sales?.holds_live ?? products.reduce((n, p) => n + p.held, 0)}</dd>
        </div>
        <div>
          <dt>Revenue</dt>
          <dd>
            {revenue.length
              ? revenue.map(([currency, minor]) => formatPrice(minor, currency)).join(" + ")
              : "—"}
          </dd>
        </div>
      </dl>
      {orders.length ? (
        <ol className="orders" aria-label="Latest orders" data-testid="orders">
          {orders.slice(0, 12).map((o) => (
            <li key={o.id} className="small">
              <span className="mono">#{o.id}</span> {o.quantity} × {title(o.product_id)} ·{" "}
              {formatPrice(o.total_minor, o.currency)}
              <span className="muted">
                {" "}· {ORDER_STATUS[o.status] ?? o.status} · {new Date(o.created_at).toLocaleTimeString()}
              </span>
            </li>
          ))}
        </ol>
      ) : (
        <p className="small muted">No orders yet.</p>
      )}
    </section>
  );
}

const ORDER_STATUS: Record<string, string> = {
  pending_payment: "awaiting payment",
  paid: "paid",
  fulfilled: "shipped",
  cancelled: "cancelled",
};

function Moderation({
  showId,
  lines,
  slowModeSeconds,
  channel,
  control,
  ended,
  onSlowMode,
}: {
  showId: number;
  lines: ChatLine[];
  slowModeSeconds: number;
  channel: Parameters<typeof Chat>[0]["channel"];
  control: ServerControl | null;
  ended: boolean;
  onSlowMode: () => void;
}) {
  const [notice, setNotice] = useState<string | null>(null);
  const act = async (label: string, action: () => Promise<unknown>) => {
    try {
      await action();
      setNotice(label);
    } catch (err) {
      setNotice(explain(err).message);
    }
  };
  return (
    <section className="card" aria-labelledby="chat-title">
      <div className="card-head">
        <h2 id="chat-title">Chat</h2>
        <label className="inline-field">
          <span>Slow mode</span>
          <select
            value={slowModeSeconds}
            onChange={(e) => void act("Slow mode changed.", async () => {
              await setSlowMode(showId, Number(e.target.value));
              onSlowMode();
            })}
          >
            {[0, 5, 10, 30, 60].map((s) => (
              <option key={s} value={s}>
                {s ? `${s} s` : "Off"}
              </option>
            ))}
          </select>
        </label>
      </div>
      {notice && <Notice onDismiss={() => setNotice(null)}>{notice}</Notice>}
      <Chat
        lines={lines}
        slowModeSeconds={0}
        channel={channel}
        control={control}
        ended={ended}
        moderate={(line) =>
          line.role === "host" ? null : (
            <span className="mod-actions">
              <button type="button" className="btn-link small" onClick={() => void act("Message deleted.", () => deleteChatMessage(showId, line.id))} aria-label={`Delete message from ${line.name}`}>
                Delete
              </button>
              <button type="button" className="btn-link small" onClick={() => void act(`${line.name} is muted for 5 minutes.`, () => restrictUser(showId, line.userId, "mutes", { duration_seconds: 300 }))} aria-label={`Mute ${line.name} for 5 minutes`}>
                Mute
              </button>
              <button
                type="button"
                className="btn-link small danger"
                onClick={() => {
                  if (window.confirm(`Ban ${line.name} from this chat and remove their messages?`)) {
                    void act(`${line.name} is banned.`, () => restrictUser(showId, line.userId, "bans", { purge: true }));
                  }
                }}
                aria-label={`Ban ${line.name}`}
              >
                Ban
              </button>
            </span>
          )
        }
      />
    </section>
  );
}
