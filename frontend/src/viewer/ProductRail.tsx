import { useState } from "react";
import type { Product } from "../api/types";
import { formatPrice } from "../lib/money";
import { limitLabel } from "../lib/stock";
import { BuyPanel } from "./BuyPanel";
import { ProductThumb, StockLine, type DropProps } from "./ProductCard";

/** Every product of the show with live stock; the highlighted one first and marked. */
export function ProductRail({
  products,
  activeProductId,
  clockOffsetMs,
  drops,
}: {
  products: Product[];
  activeProductId: number | null;
  clockOffsetMs: number;
  drops: DropProps;
}) {
  const [open, setOpen] = useState<number | null>(null);
  const ordered = [...products].sort(
    (a, b) => Number(b.id === activeProductId) - Number(a.id === activeProductId) || a.id - b.id,
  );
  if (!products.length) {
    return <p className="muted empty">The host has not added products yet.</p>;
  }
  return (
    <ul className="rail" aria-label="Products in this show">
      {ordered.map((p) => (
        <li key={p.id} className={`rail-item ${p.id === activeProductId ? "active" : ""}`} data-testid="rail-item">
          <div className="rail-row">
            <ProductThumb product={p} size={52} />
            <div className="rail-text">
              <strong className="rail-title">{p.title}</strong>
              <span className="price-line">
                <span className="price">{formatPrice(p.price_minor, p.currency)}</span>
                <StockLine product={p} />
              </span>
              <span className="small muted">
                {p.id === activeProductId ? "On screen now · " : ""}
                {limitLabel(p.per_user_limit)}
                {p.sale_mode !== "open" ? ` · ${p.sale_mode === "queue" ? "Waiting line" : "Raffle"}` : ""}
              </span>
            </div>
            <button
              type="button"
              className="btn btn-ghost btn-sm"
              aria-expanded={open === p.id}
              aria-controls={`rail-buy-${p.id}`}
              onClick={() => setOpen(open === p.id ? null : p.id)}
            >
              {open === p.id ? "Close" : "Buy"}
            </button>
          </div>
          {open === p.id && (
            <div id={`rail-buy-${p.id}`} className="rail-buy">
              <BuyPanel
                product={p}
                clockOffsetMs={clockOffsetMs}
                room={drops.queues[p.id] ?? null}
                raffle={drops.raffles[p.id] ?? null}
                channelOpen={drops.channelOpen}
              />
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}
