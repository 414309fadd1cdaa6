// One tap to reserve, a visible countdown while the item is held, checkout with the manual
// payment provider, and a confirmation. Queue mode shows the place in line and the wait, then the
// turn to buy with its own countdown; raffle mode shows the entry, then the result.
import { useCallback, useEffect, useReducer, useRef, useState, type ReactNode } from "react";
import { checkout, createHold, listHolds, releaseHold } from "../api/commerce";
import type { QueueEvent, RaffleEvent } from "../api/contracts";
import { enterRaffle, joinQueue, leaveQueue, myTicket, raffleStatus, ticketStatus } from "../api/fairness";
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
import { nextTicketCheckMs, queueDisplay } from "../lib/queue";
import { nextRaffleCheckMs, raffleDisplay } from "../lib/raffle";
import { IconCheck, IconClock } from "../ui/icons";
import { Link } from "../ui/Link";
import { useNow } from "../ui/useNow";

interface Props {
  product: Product;
  clockOffsetMs: number;
  /** The product's waiting room, from the show's channel (queue mode). */
  room?: QueueEvent | null;
  /** The product's raffle, from the show's channel (raffle mode). */
  raffle?: RaffleEvent | null;
  /** Whether the show's channel is live: without it the line is followed by asking the server. */
  channelOpen?: boolean;
}

function Countdown({ label, ms, totalMs, children }: { label: string; ms: number; totalMs: number; children: ReactNode }) {
  return (
    <div className="hold-timer" role="timer" aria-label={`${label} ${spokenCountdown(ms)}`}>
      <svg viewBox="0 0 36 36" className="ring" aria-hidden="true">
        <circle cx="18" cy="18" r="16" className="ring-track" />
        <circle cx="18" cy="18" r="16" className="ring-fill" strokeDasharray={`${fractionLeft(ms, totalMs) * 100.5} 100.5`} />
      </svg>
      <div>
        <strong>{children}</strong>
        <span className="countdown">
          <IconClock size={14} /> {formatCountdown(ms)}
        </span>
      </div>
    </div>
  );
}

function clockTime(iso: string | null | undefined): string | null {
  if (!iso) return null;
  const at = Date.parse(iso);
  return Number.isFinite(at) ? new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : null;
}

export function BuyPanel({ product, clockOffsetMs, room = null, raffle = null, channelOpen = true }: Props) {
  const s = useSession();
  const userId = s?.user.id ?? null;
  const [state, dispatch] = useReducer(buyReducer, { step: "idle" });
  const [quantity, setQuantity] = useState(1);
  /** A raffle win whose hold is no longer live (bought, given back or timed out). */
  const [winGone, setWinGone] = useState<string | null>(null);
  const [retry, setRetry] = useState(0);
  const root = useRef<HTMLDivElement>(null);
  const turnButton = useRef<HTMLButtonElement>(null);
  const offset = useRef(clockOffsetMs);
  offset.current = clockOffsetMs;

  const admitted = state.step === "queued" && state.queue.status === "admitted";
  const ticking =
    state.step === "held" || state.step === "failed" || state.step === "queued" || state.step === "raffle";
  const now = useNow(state.step === "held" || admitted ? 250 : 1000, ticking);

  const reserved = useCallback(
    (hold: Hold) =>
      dispatch({ type: "reserved", hold, now: Date.now(), idempotencyKey: newIdempotencyKey() }),
    [],
  );
  const failed = useCallback((err: unknown) => dispatch({ type: "failed", error: explain(err), now: Date.now() }), []);

  // After a reload: a live hold of this product, a ticket in its line, an entry in its raffle.
  const signedIn = s != null;
  useEffect(() => {
    if (!signedIn) return;
    let gone = false;
    void (async () => {
      const holds = await listHolds().catch(() => [] as Hold[]);
      const hold = holds.find((h) => h.product_id === product.id && h.seconds_left > 0);
      if (gone) return;
      if (hold) {
        reserved(hold);
      } else if (product.sale_mode === "queue") {
        const ticket = await myTicket(product.id).catch(() => null);
        if (ticket && !gone) dispatch({ type: "ticket", ticket, clockOffsetMs: offset.current });
      } else if (product.sale_mode === "raffle") {
        const current = await raffleStatus(product.id).catch(() => null);
        if (current && !gone) dispatch({ type: "raffle", raffle: current });
      }
    })();
    return () => {
      gone = true;
    };
  }, [signedIn, product.id, product.sale_mode, reserved]);

  // The channel moves the line and announces draws; the reducer applies what concerns this panel.
  useEffect(() => {
    if (room) dispatch({ type: "queue_event", event: room });
  }, [room]);
  useEffect(() => {
    if (raffle) dispatch({ type: "raffle_event", event: raffle, userId });
  }, [raffle, userId]);

  // Queue: read the ticket when the channel says something changed for it, and now and then.
  const queueView = state.step === "queued" ? state.queue : null;
  useEffect(() => {
    if (!queueView) return;
    const delay = nextTicketCheckMs(queueView, channelOpen);
    if (delay == null) return;
    const t = setTimeout(() => {
      ticketStatus(product.id, queueView.ticket).then(
        (ticket) => dispatch({ type: "ticket", ticket, clockOffsetMs: offset.current }),
        () => setRetry((n) => n + 1),
      );
    }, delay);
    return () => clearTimeout(t);
  }, [queueView, channelOpen, product.id, retry]);

  // Raffle: read the result after the draw (at once for those given a hold).
  const raffleView = state.step === "raffle" ? state.raffle : null;
  useEffect(() => {
    if (!raffleView) return;
    const delay = nextRaffleCheckMs(raffleView, channelOpen);
    if (delay == null) return;
    const t = setTimeout(() => {
      raffleStatus(product.id).then(
        (current) => dispatch({ type: "raffle", raffle: current }),
        () => setRetry((n) => n + 1),
      );
    }, delay);
    return () => clearTimeout(t);
  }, [raffleView, channelOpen, product.id, retry]);

  // A raffle win is a hold placed by the draw: show it with its countdown and checkout.
  const wonHoldId =
    raffleView && raffleDisplay(raffleView).kind === "won" ? raffleView.entry?.hold_id ?? null : null;
  useEffect(() => {
    if (!wonHoldId) return;
    let gone = false;
    listHolds().then((holds) => {
      if (gone) return;
      const hold = holds.find((h) => h.hold_id === wonHoldId);
      if (hold) reserved(hold);
      else setWinGone(wonHoldId);
    }, () => setRetry((n) => n + 1));
    return () => {
      gone = true;
    };
  }, [wonHoldId, reserved, retry]);

  const reserve = useCallback(async () => {
    dispatch({ type: "reserve" });
    try {
      if (product.sale_mode === "queue" && !admitted) {
        dispatch({ type: "ticket", ticket: await joinQueue(product.id), clockOffsetMs: offset.current });
      } else if (product.sale_mode === "raffle") {
        dispatch({ type: "entered", entry: await enterRaffle(product.id) });
      } else {
        reserved(await createHold(product.id, quantity, newIdempotencyKey()));
      }
    } catch (err) {
      failed(err);
    }
  }, [product.id, product.sale_mode, quantity, reserved, failed, admitted]);

  const pay = useCallback(async () => {
    if (state.step !== "held" && state.step !== "failed") return;
    const hold = state.hold;
    const key = state.idempotencyKey;
    if (!hold || !key) return;
    dispatch({ type: "pay" });
    try {
      dispatch({ type: "paid", order: await checkout(hold.hold_id, key) });
    } catch (err) {
      failed(err);
    }
  }, [state, failed]);

  const cancel = useCallback(async () => {
    if (state.step === "held") {
      if (
        product.sale_mode !== "open" &&
        !window.confirm(
          product.sale_mode === "raffle"
            ? "Give back your raffle win? It goes to the next entry in the draw, and you cannot get it back."
            : "Give back your item? It goes to the next person in line.",
        )
      ) {
        return;
      }
      await releaseHold(state.hold.hold_id).catch(() => undefined);
    }
    dispatch({ type: "cancel" });
  }, [state, product.sale_mode]);

  const leave = useCallback(async () => {
    if (!window.confirm("Leave the line? You lose your place.")) return;
    try {
      await leaveQueue(product.id);
      dispatch({ type: "reset" });
    } catch (err) {
      failed(err);
    }
  }, [product.id, failed]);

  // The hold runs out: its stock goes back on sale (or to the next person in line or draw).
  const holdLeft =
    state.step === "held" || state.step === "paying"
      ? remainingMs(holdDeadline(state.hold, state.heldAt, clockOffsetMs), now)
      : null;
  useEffect(() => {
    if (state.step === "held" && holdLeft === 0) dispatch({ type: "expired" });
  }, [state.step, holdLeft]);

  // When the turn comes, the button to buy takes the focus if the viewer was in this panel.
  useEffect(() => {
    if (!admitted) return;
    const active = document.activeElement;
    if (!active || active === document.body || root.current?.contains(active)) turnButton.current?.focus();
  }, [admitted]);

  if (!s) {
    return (
      <div className="buy">
        <Link className="btn btn-buy btn-block" to={`/login?next=${encodeURIComponent(location.pathname)}`}>
          Log in to buy
        </Link>
      </div>
    );
  }

  const button = buyButton(product, state, now, { room, raffle }, clockOffsetMs);
  const maxQty = Math.max(1, Math.min(product.per_user_limit, product.available));
  const quantityPicker = product.per_user_limit > 1 && product.sale_mode !== "raffle" && maxQty > 1 && (
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
  );

  if (state.step === "held" || state.step === "paying") {
    const won = product.sale_mode === "raffle";
    return (
      <div className="buy buy-held" aria-live="polite" ref={root}>
        <Countdown label="Reserved for" ms={holdLeft ?? 0} totalMs={product.hold_ttl_seconds * 1000}>
          {won ? "You won! Reserved for you" : "Reserved for you"}
        </Countdown>
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
            {won ? "Give it back" : "Cancel"}
          </button>
        </div>
      </div>
    );
  }

  if (state.step === "confirmed") {
    return (
      <div className="buy buy-done" role="status" ref={root}>
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
    const view = state.queue;
    const shown = queueDisplay(view, now, product.available);
    const turnLength = formatCountdown(view.admissionSeconds * 1000);
    if (shown.kind === "admitted") {
      return (
        <div className="buy buy-held buy-turn" ref={root} data-testid="queue-turn">
          <p className="visually-hidden" role="alert">
            It is your turn. Buy within {spokenCountdown(shown.msLeft)}.
          </p>
          <Countdown label="Your turn: buy within" ms={shown.msLeft} totalMs={view.admissionSeconds * 1000}>
            It&apos;s your turn — buy now
          </Countdown>
          <p className="muted small">
            Tap Buy now to reserve it; then you have {formatCountdown(product.hold_ttl_seconds * 1000)} to place the
            order. When this timer ends, the next person in line gets the chance.
          </p>
          <div className="buy-actions">
            {quantityPicker}
            <button ref={turnButton} type="button" className="btn btn-buy btn-grow" onClick={() => void reserve()}>
              Buy now
            </button>
          </div>
        </div>
      );
    }
    const settled = shown.kind === "expired" || shown.kind === "done" || shown.kind === "left";
    return (
      <div className="buy buy-queue" ref={root} data-testid="queue-status">
        <div role="status" aria-live="polite" aria-atomic="true">
          {shown.kind === "pooled" && (
            <>
              <p><strong>You are in line</strong></p>
              <p className="small muted">
                Places are drawn at random when the sale opens, so joining early or late before then makes no
                difference{room ? ` (${room.joined} in line so far)` : ""}. Keep this page open.
              </p>
            </>
          )}
          {shown.kind === "waiting" && (
            <>
              <p>
                <strong>You are number <span data-testid="queue-position">{shown.position}</span> in line</strong>
              </p>
              <p className="small muted">
                Estimated wait: {approximateWait(shown.waitSeconds)}. Keep this page open: when it is your turn you
                get {turnLength} to buy.
              </p>
            </>
          )}
          {shown.kind === "checking" && (
            <p><strong>Your turn may have come — checking…</strong></p>
          )}
          {shown.kind === "expired" && (
            <>
              <p><strong>Your turn has passed</strong></p>
              <p className="small muted">
                It ended before you reserved, so the next people in line were admitted. Keep watching: the host may
                restock or run another drop.
              </p>
            </>
          )}
          {shown.kind === "done" && (
            <>
              <p><strong>You have had your turn</strong></p>
              <p className="small muted">Your turn for this drop is used. Check your orders for what you bought.</p>
            </>
          )}
          {shown.kind === "sold_out" && (
            <>
              <p><strong>Sold out</strong></p>
              <p className="small muted">
                Every unit is sold or in someone&apos;s cart. If reserved units come back, the line moves again: keep
                this page open to keep your place.
              </p>
            </>
          )}
          {shown.kind === "left" && (
            <p><strong>You left the line.</strong></p>
          )}
        </div>
        {!settled && (
          <div className="buy-actions">
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => void leave()}>
              Leave the line
            </button>
          </div>
        )}
      </div>
    );
  }

  if (state.step === "raffle") {
    const view = state.raffle;
    const shown = raffleDisplay(view);
    const closes = clockTime(view.closesAt);
    return (
      <div className="buy buy-raffle" ref={root} data-testid="raffle-status">
        <div role="status" aria-live="polite" aria-atomic="true">
          {(shown.kind === "entered" || shown.kind === "open") && (
            <>
              <p><strong>You are in the raffle</strong></p>
              <p className="small muted">
                {view.entries} {view.entries === 1 ? "entry" : "entries"} so far. Winners are drawn when entries
                close{closes ? ` at ${closes}` : ""}; a win is reserved for you automatically. Keep this page open to
                see the result.
              </p>
            </>
          )}
          {shown.kind === "checking" && <p><strong>The raffle has been drawn — getting your result…</strong></p>}
          {shown.kind === "won" &&
            (winGone === shown.holdId ? (
              <>
                <p><strong>You won this raffle</strong></p>
                <p className="small muted">
                  Its reservation is no longer active: check your orders. If you did not order, the time ran out and
                  the item went to the next entry in the draw.
                </p>
              </>
            ) : (
              <p><strong>You won!</strong> Getting your reserved item…</p>
            ))}
          {shown.kind === "runner_up" && (
            <>
              <p><strong>Not drawn this time — but you are on the waiting list</strong></p>
              <p className="small muted">
                If a winner does not buy, their item goes to the next entry in the draw
                {shown.ahead > 0 ? ` (${shown.ahead} ahead of you)` : " — you are next"}. It is reserved for you
                automatically: keep this page open.
              </p>
            </>
          )}
          {shown.kind === "not_drawn" && (
            <>
              <p><strong>Not drawn this time</strong></p>
              <p className="small muted">Thank you for entering. Stay tuned for the host&apos;s next drop.</p>
            </>
          )}
          {shown.kind === "closed" && <p><strong>This raffle has been drawn.</strong></p>}
        </div>
      </div>
    );
  }

  const expiredMessage =
    product.sale_mode === "raffle"
      ? "Your reservation ran out, so the item went to the next entry in the draw."
      : product.sale_mode === "queue"
        ? "Your reservation ran out, so the item went to the next person in line."
        : "Your reservation ran out and the item went back on sale. Tap Buy to try again.";
  const raffleInfo =
    product.sale_mode === "raffle" && raffle?.status === "open"
      ? `${raffle.entries} ${raffle.entries === 1 ? "entry" : "entries"}${clockTime(raffle.closes_at) ? ` · closes at ${clockTime(raffle.closes_at)}` : ""}. One entry per person; winners are drawn at random.`
      : null;
  const roomInfo =
    product.sale_mode === "queue" && room && !room.sold_out
      ? room.phase === "waiting"
        ? `${room.joined} in line. Join before the sale opens: everyone who joins before then gets a random place.`
        : `${Math.max(0, room.joined - room.served)} waiting. Join to get your place in line.`
      : null;
  return (
    <div className="buy" ref={root}>
      {state.step === "expired" && (
        <p className="buy-msg" role="alert">
          {expiredMessage}
        </p>
      )}
      {state.step === "failed" && (
        <p className="buy-msg" role="alert">
          {state.error.message}
        </p>
      )}
      {(raffleInfo ?? roomInfo) && <p className="small muted">{raffleInfo ?? roomInfo}</p>}
      <div className="buy-actions">
        {product.sale_mode === "open" && quantityPicker}
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
