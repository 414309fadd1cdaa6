// One tap to reserve, a visible countdown while the item is held, checkout with the manual
// payment provider, and a confirmation. Queue and raffle modes show the line and the entry.
import { useCallback, useEffect, useReducer, useState } from "react";
import {
  checkout,
  createHold,
  enterRaffle,
  joinQueue,
  listHolds,
  queueStatus,
  raffleStatus,
  releaseHold,
} from "../api/commerce";
import type { Hold, Product } from "../api/types";
import { useSession } from "../app/useSession";
import { buyButton, buyReducer } from "../lib/buyflow";
import {
  approximateWait,
  formatCountdown,
  fractionLeft,
  holdDeadline,
  remainingMs,
  spokenCountdown,
} from "../lib/countdown";
import { explain } from "../lib/errors";
import { newIdempotencyKey } from "../lib/ids";
import { formatPrice } from "../lib/money";
import { IconCheck, IconClock } from "../ui/icons";
import { Link } from "../ui/Link";
import { useNow } from "../ui/useNow";

interface Props {
  product: Product;
  clockOffsetMs: number;
}

export function BuyPanel({ product, clockOffsetMs }: Props) {
  const s = useSession();
  const [state, dispatch] = useReducer(buyReducer, { step: "idle" });
  const [quantity, setQuantity] = useState(1);
  const ticking = state.step === "held" || state.step === "failed" || state.step === "queued";
  const now = useNow(state.step === "held" ? 250 : 1000, ticking);

  const reserved = useCallback(
    (hold: Hold) =>
      dispatch({ type: "reserved", hold, now: Date.now(), idempotencyKey: newIdempotencyKey() }),
    [],
  );

  const reserve = useCallback(async () => {
    dispatch({ type: "reserve" });
    try {
      if (product.sale_mode === "queue") {
        dispatch({ type: "queued", ticket: await joinQueue(product.id) });
      } else if (product.sale_mode === "raffle") {
        dispatch({ type: "entered", entry: await enterRaffle(product.id) });
      } else {
        reserved(await createHold(product.id, quantity, newIdempotencyKey()));
      }
    } catch (err) {
      dispatch({ type: "failed", error: explain(err), now: Date.now() });
    }
  }, [product.id, product.sale_mode, quantity, reserved]);

  const pay = useCallback(async () => {
    if (state.step !== "held" && state.step !== "failed") return;
    const hold = state.hold;
    const key = state.idempotencyKey;
    if (!hold || !key) return;
    dispatch({ type: "pay" });
    try {
      dispatch({ type: "paid", order: await checkout(hold.hold_id, key) });
    } catch (err) {
      dispatch({ type: "failed", error: explain(err), now: Date.now() });
    }
  }, [state]);

  const cancel = useCallback(async () => {
    if (state.step === "held") await releaseHold(state.hold.hold_id).catch(() => undefined);
    dispatch({ type: "cancel" });
  }, [state]);

  // The hold runs out: its stock goes back on sale.
  const holdLeft =
    state.step === "held" || state.step === "paying"
      ? remainingMs(holdDeadline(state.hold, state.heldAt, clockOffsetMs), now)
      : null;
  useEffect(() => {
    if (state.step === "held" && holdLeft === 0) dispatch({ type: "expired" });
  }, [state.step, holdLeft]);

  // Queue: ask for the position now and then; once admitted, reserve at once.
  useEffect(() => {
    if (state.step !== "queued") return;
    if (state.ticket.admitted) {
      createHold(product.id, quantity).then(reserved, (err) =>
        dispatch({ type: "failed", error: explain(err), now: Date.now() }),
      );
      return;
    }
    const t = setTimeout(() => {
      queueStatus(product.id).then(
        (ticket) => dispatch({ type: "queued", ticket }),
        (err) => dispatch({ type: "failed", error: explain(err), now: Date.now() }),
      );
    }, 3000);
    return () => clearTimeout(t);
  }, [state, product.id, quantity, reserved]);

  // Raffle: wait for the draw; a winner's hold is theirs to check out.
  useEffect(() => {
    if (state.step !== "entered") return;
    if (state.entry.status === "won" && state.entry.hold_id) {
      listHolds().then((holds) => {
        const hold = holds.find((h) => h.hold_id === state.entry.hold_id);
        if (hold) reserved(hold);
      }, () => undefined);
      return;
    }
    if (state.entry.status !== "entered") return;
    const t = setTimeout(() => {
      raffleStatus(product.id).then((entry) => dispatch({ type: "entered", entry }), () => undefined);
    }, 5000);
    return () => clearTimeout(t);
  }, [state, product.id, reserved]);

  if (!s) {
    return (
      <div className="buy">
        <Link className="btn btn-buy btn-block" to={`/login?next=${encodeURIComponent(location.pathname)}`}>
          Log in to buy
        </Link>
      </div>
    );
  }

  const button = buyButton(product, state, now);
  const maxQty = Math.max(1, Math.min(product.per_user_limit, product.available));

  if (state.step === "held" || state.step === "paying") {
    const total = product.hold_ttl_seconds * 1000;
    const left = holdLeft ?? 0;
    return (
      <div className="buy buy-held" aria-live="polite">
        <div className="hold-timer" role="timer" aria-label={`Reserved for ${spokenCountdown(left)}`}>
          <svg viewBox="0 0 36 36" className="ring" aria-hidden="true">
            <circle cx="18" cy="18" r="16" className="ring-track" />
            <circle
              cx="18"
              cy="18"
              r="16"
              className="ring-fill"
              strokeDasharray={`${fractionLeft(left, total) * 100.5} 100.5`}
            />
          </svg>
          <div>
            <strong>Reserved for you</strong>
            <span className="countdown">
              <IconClock size={14} /> {formatCountdown(left)}
            </span>
          </div>
        </div>
        <p className="muted small">
          {state.hold.quantity} × {formatPrice(product.price_minor, product.currency)} ·{" "}
          <strong>{formatPrice(product.price_minor * state.hold.quantity, product.currency)}</strong>. Pay the
          host directly after ordering (manual payment).
        </p>
        <div className="buy-actions">
          <button type="button" className="btn btn-buy" onClick={() => void pay()} disabled={state.step === "paying"}>
            {state.step === "paying" ? "Placing order…" : "Place order"}
          </button>
          <button type="button" className="btn btn-ghost" onClick={() => void cancel()} disabled={state.step === "paying"}>
            Cancel
          </button>
        </div>
      </div>
    );
  }

  if (state.step === "confirmed") {
    return (
      <div className="buy buy-done" role="status">
        <p className="done-line">
          <IconCheck /> <strong>Order placed</strong>
        </p>
        <p className="small muted">
          Order #{state.order.id} · {state.order.quantity} × {product.title} ·{" "}
          {formatPrice(state.order.total_minor, state.order.currency)}.{" "}
          {state.order.status === "pending_payment"
            ? "The host will send you payment details."
            : "Thank you!"}
        </p>
        <button type="button" className="btn btn-ghost btn-sm" onClick={() => dispatch({ type: "reset" })}>
          Done
        </button>
      </div>
    );
  }

  if (state.step === "queued") {
    return (
      <div className="buy" role="status" aria-live="polite">
        <p>
          <strong>You are in line: number {state.ticket.position}</strong>
        </p>
        <p className="small muted">
          Wait: {approximateWait(state.ticket.estimated_wait_seconds)}. Keep this page open — when it is
          your turn, the item is reserved for you automatically.
        </p>
      </div>
    );
  }

  if (state.step === "entered") {
    const e = state.entry;
    return (
      <div className="buy" role="status" aria-live="polite">
        {e.status === "entered" && (
          <>
            <p><strong>You are in the raffle</strong></p>
            <p className="small muted">Winners are drawn when entries close. The result appears here.</p>
          </>
        )}
        {e.status === "won" && <p><strong>You won!</strong> Reserving your item…</p>}
        {e.status === "lost" && (
          <>
            <p><strong>Not this time</strong></p>
            <p className="small muted">Your entry was not drawn. Stay tuned for the next drop.</p>
          </>
        )}
      </div>
    );
  }

  return (
    <div className="buy">
      {state.step === "expired" && (
        <p className="buy-msg" role="alert">
          Your reservation ran out and the item went back on sale. Tap Buy to try again.
        </p>
      )}
      {state.step === "failed" && (
        <p className="buy-msg" role="alert">
          {state.error.message}
        </p>
      )}
      <div className="buy-actions">
        {product.per_user_limit > 1 && product.sale_mode === "open" && maxQty > 1 && (
          <label className="qty">
            <span className="visually-hidden">Quantity</span>
            <select value={quantity} onChange={(e) => setQuantity(Number(e.target.value))}>
              {Array.from({ length: maxQty }, (_, i) => (
                <option key={i + 1} value={i + 1}>
                  {i + 1}
                </option>
              ))}
            </select>
          </label>
        )}
        <button
          type="button"
          className="btn btn-buy btn-grow"
          onClick={() => void (state.step === "failed" && state.hold ? pay() : reserve())}
          disabled={button.disabled}
        >
          {state.step === "failed" && state.hold ? "Try the order again" : button.label}
        </button>
      </div>
    </div>
  );
}
