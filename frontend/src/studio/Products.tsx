// The host's products: add, restock, open or close the sale, choose the mode, highlight.
import { useState, type FormEvent } from "react";
import type { QueueEvent, RaffleEvent } from "../api/contracts";
import { highlight } from "../api/edge";
import { addProduct, deleteProduct, setSaleOpen, updateProduct } from "../api/products";
import type { Product, SaleMode } from "../api/types";
import { explain, fieldErrors } from "../lib/errors";
import { formatPrice, parsePrice } from "../lib/money";
import { Field } from "../ui/Field";
import { IconPlus, IconStar, IconTrash } from "../ui/icons";
import { Notice } from "../ui/Notice";
import { ProductThumb } from "../viewer/ProductCard";
import { DropControls, ShowLimitForm } from "./DropControls";

const MODES: Array<{ value: SaleMode; label: string }> = [
  { value: "open", label: "First come" },
  { value: "queue", label: "Waiting line" },
  { value: "raffle", label: "Raffle" },
];

export function Products({
  showId,
  products,
  ended,
  highlightedProductId,
  queues,
  raffles,
  onChanged,
  onRemoved,
  onHighlighted,
  onDrop,
}: {
  showId: number;
  products: Product[];
  ended: boolean;
  highlightedProductId: number | null;
  queues: Record<number, QueueEvent>;
  raffles: Record<number, RaffleEvent>;
  onChanged: (p: Product) => void;
  onRemoved: (id: number) => void;
  onHighlighted: (productId: number) => void;
  onDrop: (event: QueueEvent | RaffleEvent) => void;
}) {
  const [message, setMessage] = useState<{ tone: "error" | "success"; text: string } | null>(null);
  const [busy, setBusy] = useState<number | null>(null);

  async function run(productId: number, action: () => Promise<void>) {
    setBusy(productId);
    setMessage(null);
    try {
      await action();
    } catch (err) {
      setMessage({ tone: "error", text: explain(err).message });
    } finally {
      setBusy(null);
    }
  }

  const doHighlight = (p: Product) =>
    run(p.id, async () => {
      // The click's time on this computer's clock: the server corrects it by the measured offset
      // and stamps the frame the host was showing at that moment.
      const clickedAt = new Date();
      await highlight(showId, p.id, clickedAt);
      onHighlighted(p.id);
      setMessage({ tone: "success", text: `${p.title} is highlighted. Viewers see its card with this moment of the stream.` });
    });

  return (
    <section className="card" aria-labelledby="products-title">
      <div className="card-head">
        <h2 id="products-title">Products</h2>
      </div>
      <ShowLimitForm showId={showId} disabled={ended} />
      {message && (
        <Notice tone={message.tone} onDismiss={() => setMessage(null)}>
          {message.text}
        </Notice>
      )}
      {products.length === 0 && <p className="muted">No products yet. Add the first one below.</p>}
      <ul className="product-admin-list">
        {products.map((p) => (
          <li key={p.id} className={`product-admin ${p.id === highlightedProductId ? "highlighted" : ""}`} data-testid="studio-product">
            <div className="product-admin-main">
              <ProductThumb product={p} size={48} />
              <div className="product-admin-text">
                <strong>{p.title}</strong>
                <span className="small muted">
                  {p.sku} · {formatPrice(p.price_minor, p.currency)} · limit {p.per_user_limit}
                </span>
                <span className="counts small">
                  <span><b data-testid="available">{p.available}</b> available</span>
                  <span><b data-testid="held">{p.held}</b> in carts</span>
                  <span><b data-testid="sold">{p.sold}</b> sold</span>
                  <span>of {p.stock}</span>
                </span>
              </div>
              <button
                type="button"
                className="btn btn-highlight"
                onClick={() => void doHighlight(p)}
                disabled={busy === p.id || ended}
                aria-label={`Highlight ${p.title}`}
              >
                <IconStar size={16} /> Highlight
              </button>
            </div>
            <div className="product-admin-controls">
              <label className="switch">
                <input
                  type="checkbox"
                  role="switch"
                  checked={p.sale_open}
                  disabled={busy === p.id || ended}
                  onChange={(e) => void run(p.id, async () => onChanged(await setSaleOpen(p.id, e.target.checked)))}
                />
                <span>{p.sale_open ? "Sale open" : "Sale closed"}</span>
              </label>
              <label className="inline-field">
                <span>Mode</span>
                <select
                  value={p.sale_mode}
                  disabled={busy === p.id || p.sale_open}
                  title={p.sale_open ? "Close the sale to change its mode" : undefined}
                  onChange={(e) =>
                    void run(p.id, async () =>
                      onChanged(await updateProduct(p.id, { sale_mode: e.target.value as SaleMode })),
                    )
                  }
                >
                  {MODES.map((m) => (
                    <option key={m.value} value={m.value}>
                      {m.label}
                    </option>
                  ))}
                </select>
              </label>
              <Restock product={p} disabled={busy === p.id} onRestock={(stock) => run(p.id, async () => onChanged(await updateProduct(p.id, { stock })))} />
              <button
                type="button"
                className="btn-icon danger"
                aria-label={`Remove ${p.title}`}
                disabled={busy === p.id || p.sold > 0}
                title={p.sold > 0 ? "Sold products stay on record" : "Remove"}
                onClick={() => {
                  if (!window.confirm(`Remove ${p.title} from this show?`)) return;
                  void run(p.id, async () => {
                    await deleteProduct(p.id);
                    onRemoved(p.id);
                  });
                }}
              >
                <IconTrash size={18} />
              </button>
            </div>
            {p.sale_mode !== "open" && (
              <DropControls
                product={p}
                room={queues[p.id] ?? null}
                raffle={raffles[p.id] ?? null}
                disabled={busy === p.id || ended}
                onDrop={onDrop}
              />
            )}
          </li>
        ))}
      </ul>
      {!ended && <AddProduct showId={showId} onAdded={onChanged} />}
    </section>
  );
}

function Restock({
  product,
  disabled,
  onRestock,
}: {
  product: Product;
  disabled: boolean;
  onRestock: (stock: number) => void;
}) {
  const [add, setAdd] = useState("");
  const n = Number(add);
  return (
    <form
      className="inline-field"
      onSubmit={(e) => {
        e.preventDefault();
        if (Number.isInteger(n) && n > 0) {
          onRestock(product.stock + n);
          setAdd("");
        }
      }}
    >
      <label htmlFor={`restock-${product.id}`}>Add stock</label>
      <input
        id={`restock-${product.id}`}
        type="number"
        inputMode="numeric"
        min={1}
        step={1}
        value={add}
        onChange={(e) => setAdd(e.target.value)}
        className="input-narrow"
      />
      <button type="submit" className="btn btn-ghost btn-sm" disabled={disabled || !(Number.isInteger(n) && n > 0)}>
        Restock
      </button>
    </form>
  );
}

function AddProduct({ showId, onAdded }: { showId: number; onAdded: (p: Product) => void }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const d = new FormData(form);
    const currency = String(d.get("currency") ?? "EUR").trim().toUpperCase();
    const price = parsePrice(String(d.get("price") ?? ""), currency);
    if (price == null) {
      setError({ fields: { price: "Enter a price like 129 or 129.90." } });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const product = await addProduct(showId, {
        sku: String(d.get("sku") ?? "").trim(),
        title: String(d.get("title") ?? "").trim(),
        price_minor: price,
        currency,
        stock: Number(d.get("stock") ?? 0),
        per_user_limit: Number(d.get("per_user_limit") ?? 1),
        image_url: String(d.get("image_url") ?? "").trim() || null,
      });
      form.reset();
      onAdded(product);
      (form.elements.namedItem("title") as HTMLInputElement | null)?.focus();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const fields =
    error && typeof error === "object" && "fields" in error && !(error instanceof Error)
      ? (error as { fields: Record<string, string> }).fields
      : fieldErrors(error);
  const general = error instanceof Error && !Object.keys(fields).length ? explain(error).message : null;

  if (!open) {
    return (
      <button type="button" className="btn btn-ghost" onClick={() => setOpen(true)}>
        <IconPlus size={16} /> Add a product
      </button>
    );
  }
  return (
    <form className="add-product" onSubmit={submit} aria-labelledby="add-product-title">
      <h3 id="add-product-title">Add a product</h3>
      {general && <Notice tone="error">{general}</Notice>}
      <div className="grid-2">
        <Field label="Title" name="title" required maxLength={140} error={fields.title} />
        <Field label="SKU" name="sku" required maxLength={64} error={fields.sku} hint="Your own product code" />
        <Field label="Price" name="price" required inputMode="decimal" placeholder="129.00" error={fields.price ?? fields.price_minor} />
        <Field label="Currency" name="currency" required defaultValue="EUR" maxLength={3} minLength={3} error={fields.currency} />
        <Field label="Stock" name="stock" type="number" required min={0} defaultValue={10} error={fields.stock} />
        <Field label="Limit per person" name="per_user_limit" type="number" min={1} defaultValue={1} required error={fields.per_user_limit} />
      </div>
      <Field label="Image URL (optional)" name="image_url" type="url" error={fields.image_url} />
      <div className="row">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Adding…" : "Add product"}
        </button>
        <button type="button" className="btn btn-ghost" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
