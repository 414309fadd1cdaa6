import type { QueueEvent, RaffleEvent } from "../api/contracts";
import type { Product } from "../api/types";
import { formatPrice } from "../lib/money";
import { limitLabel, stockLabel } from "../lib/stock";
import { IconBag } from "../ui/icons";
import { BuyPanel } from "./BuyPanel";

export function ProductThumb({ product, size = 64 }: { product: Product; size?: number }) {
  return product.image_url ? (
    <img className="thumb" src={product.image_url} alt="" width={size} height={size} loading="lazy" />
  ) : (
    <span className="thumb thumb-empty" style={{ width: size, height: size }} aria-hidden="true">
      <IconBag size={Math.round(size / 2.5)} />
    </span>
  );
}

export function StockLine({ product }: { product: Product }) {
  const label = stockLabel(product);
  return (
    <span className={`stock stock-${label.tone}`} data-testid="stock">
      {label.text}
    </span>
  );
}

/** The highlighted product, over the video; appears when the playhead reaches the highlight. */
/** What the show's channel says about products' drops, passed down to their buy panels. */
export interface DropProps {
  queues: Record<number, QueueEvent>;
  raffles: Record<number, RaffleEvent>;
  channelOpen: boolean;
}

export function ProductCard({
  product,
  clockOffsetMs,
  drops,
  onClose,
}: {
  product: Product;
  clockOffsetMs: number;
  drops: DropProps;
  onClose: () => void;
}) {
  return (
    <section className="product-card" aria-labelledby={`card-${product.id}`} data-testid="product-card">
      <div className="product-card-head">
        <ProductThumb product={product} size={56} />
        <div className="product-card-text">
          <span className="eyebrow">Now showing</span>
          <h2 id={`card-${product.id}`}>{product.title}</h2>
          <div className="price-line">
            <strong className="price">{formatPrice(product.price_minor, product.currency)}</strong>
            <StockLine product={product} />
          </div>
        </div>
        <button type="button" className="btn-icon card-close" onClick={onClose} aria-label="Hide product card">
          ×
        </button>
      </div>
      <BuyPanel
        product={product}
        clockOffsetMs={clockOffsetMs}
        room={drops.queues[product.id] ?? null}
        raffle={drops.raffles[product.id] ?? null}
        channelOpen={drops.channelOpen}
      />
      <p className="limit small muted">{limitLabel(product.per_user_limit)}</p>
    </section>
  );
}
