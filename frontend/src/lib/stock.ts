import type { StockEvent } from "../api/contracts";
import type { Product } from "../api/types";

export type StockTone = "plenty" | "low" | "out" | "closed";

export interface StockLabel {
  text: string;
  tone: StockTone;
}

const LOW_STOCK = 5;

/** What the product rail says about a product's stock. */
export function stockLabel(p: Pick<Product, "available" | "held" | "sale_open">): StockLabel {
  if (p.available <= 0) {
    return p.held > 0
      ? { text: "Sold out · units in carts may come back", tone: "out" }
      : { text: "Sold out", tone: "out" };
  }
  if (!p.sale_open) return { text: `${p.available} available soon`, tone: "closed" };
  if (p.available <= LOW_STOCK) return { text: `Only ${p.available} left`, tone: "low" };
  return { text: `${p.available} left`, tone: "plenty" };
}

export function limitLabel(perUserLimit: number): string {
  return perUserLimit === 1 ? "Limit 1 per person" : `Limit ${perUserLimit} per person`;
}

/** Applies a stock event, ignoring ones older than what is known (versions only grow). Pure. */
export function applyStock(
  products: Product[],
  versions: Readonly<Record<number, number>>,
  event: StockEvent,
): { products: Product[]; versions: Record<number, number> } {
  const known = versions[event.product_id];
  if (known != null && known >= event.version) return { products, versions };
  return {
    versions: { ...versions, [event.product_id]: event.version },
    products: products.map((p) =>
      p.id === event.product_id
        ? { ...p, available: event.available, held: event.held, sold: event.sold }
        : p,
    ),
  };
}
