// The host's controls for a fair drop: the waiting line (announce, turn length, people waiting),
// the raffle (open entries with an optional deadline, close and draw, entries), the minimum
// account age, and the show's purchase limit per buyer.
import { useEffect, useId, useState, type FormEvent } from "react";
import type { QueueEvent, RaffleEvent } from "../api/contracts";
import { announceQueue, closeRaffle, dropRules, openRaffle, setDropRules, setShowLimit, showLimit } from "../api/fairness";
import type { DropRules, Product } from "../api/types";
import { explain } from "../lib/errors";
import { Notice } from "../ui/Notice";
import { raffleEvent, roomEvent, waitingCount } from "../viewer/useShow";

const DAY = 86_400;
const ACCOUNT_AGES: Array<{ seconds: number; label: string }> = [
  { seconds: 0, label: "Any account" },
  { seconds: DAY, label: "1 day or older" },
  { seconds: 7 * DAY, label: "1 week or older" },
  { seconds: 30 * DAY, label: "30 days or older" },
  { seconds: 90 * DAY, label: "90 days or older" },
];
const TURN_LENGTHS = [30, 60, 120, 300, 600];
const DEADLINES: Array<{ minutes: number; label: string }> = [
  { minutes: 0, label: "When I close them" },
  { minutes: 2, label: "In 2 minutes" },
  { minutes: 5, label: "In 5 minutes" },
  { minutes: 15, label: "In 15 minutes" },
  { minutes: 60, label: "In 1 hour" },
];

function withCurrent<T extends { seconds?: number; minutes?: number }>(options: T[], value: number, make: (v: number) => T, key: "seconds" | "minutes"): T[] {
  return options.some((o) => o[key] === value) ? options : [...options, make(value)].sort((a, b) => (a[key] ?? 0) - (b[key] ?? 0));
}

function clockTime(iso: string | null | undefined): string | null {
  if (!iso) return null;
  const at = Date.parse(iso);
  return Number.isFinite(at) ? new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : null;
}

/** One product's drop: the line or the raffle, and who may take part. */
export function DropControls({
  product,
  room,
  raffle,
  disabled,
  onDrop,
}: {
  product: Product;
  room: QueueEvent | null;
  raffle: RaffleEvent | null;
  disabled: boolean;
  onDrop: (event: QueueEvent | RaffleEvent) => void;
}) {
  const id = useId();
  const [rules, setRules] = useState<DropRules | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: "error" | "success"; text: string } | null>(null);
  const [deadline, setDeadline] = useState(0);

  useEffect(() => {
    let gone = false;
    dropRules(product.id).then((r) => !gone && setRules(r), () => undefined);
    return () => {
      gone = true;
    };
  }, [product.id]);

  async function run(action: () => Promise<string | null>) {
    setBusy(true);
    setMessage(null);
    try {
      const done = await action();
      if (done) setMessage({ tone: "success", text: done });
    } catch (err) {
      setMessage({ tone: "error", text: explain(err).message });
    } finally {
      setBusy(false);
    }
  }

  const saveRules = (patch: { admission_seconds?: number; min_account_age_seconds?: number }) =>
    run(async () => {
      setRules(await setDropRules(product.id, patch));
      return null;
    });

  const off = disabled || busy;
  const ageValue = rules?.min_account_age_seconds ?? 0;
  const ages = withCurrent(ACCOUNT_AGES, ageValue, (s) => ({ seconds: s, label: `${Math.round(s / 3600)} hours or older` }), "seconds");

  return (
    <div className="drop-controls" role="group" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} className="drop-title">
        {product.sale_mode === "queue" ? "Waiting line" : "Raffle"}
      </h3>
      {product.sale_mode === "queue" ? (
        <QueueStatus room={room} product={product} />
      ) : (
        <RaffleStatusLine raffle={raffle} />
      )}
      <div className="drop-row">
        {product.sale_mode === "queue" && !room && !product.sale_open && (
          <button
            type="button"
            className="btn btn-primary btn-sm"
            disabled={off}
            onClick={() =>
              void run(async () => {
                const opened = roomEvent(await announceQueue(product.id));
                if (opened) onDrop(opened);
                return "The drop is announced: viewers can join the line. Open the sale to start admitting them in a random order.";
              })
            }
          >
            Announce the drop
          </button>
        )}
        {product.sale_mode === "queue" && (
          <label className="inline-field">
            <span>Time to buy per turn</span>
            <select
              value={rules?.admission_seconds ?? 60}
              disabled={off || !rules}
              onChange={(e) => void saveRules({ admission_seconds: Number(e.target.value) })}
            >
              {withCurrent(TURN_LENGTHS.map((seconds) => ({ seconds })), rules?.admission_seconds ?? 60, (seconds) => ({ seconds }), "seconds").map(({ seconds }) => (
                <option key={seconds} value={seconds}>
                  {seconds < 60 ? `${seconds} s` : `${seconds / 60} min`}
                </option>
              ))}
            </select>
          </label>
        )}
        {product.sale_mode === "raffle" && (!raffle || raffle.status === "open") && (
          <form
            className="drop-row"
            onSubmit={(e: FormEvent) => {
              e.preventDefault();
              void run(async () => {
                const closesAt = deadline ? new Date(Date.now() + deadline * 60_000) : null;
                onDrop(raffleEvent(await openRaffle(product.id, closesAt)));
                return closesAt
                  ? `Entries are open until ${clockTime(closesAt.toISOString())}; the draw happens then.`
                  : "Entries are open. Close them to draw the winners.";
              });
            }}
          >
            <label className="inline-field">
              <span>Entries close</span>
              <select value={deadline} disabled={off} onChange={(e) => setDeadline(Number(e.target.value))}>
                {DEADLINES.map((d) => (
                  <option key={d.minutes} value={d.minutes}>
                    {d.label}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" className="btn btn-primary btn-sm" disabled={off}>
              {raffle ? "Change the deadline" : "Open entries"}
            </button>
          </form>
        )}
        {product.sale_mode === "raffle" && raffle?.status === "open" && (
          <button
            type="button"
            className="btn btn-highlight btn-sm"
            disabled={off}
            onClick={() => {
              if (!window.confirm(`Close entries and draw ${product.title} now? Winners get their items reserved at once.`)) return;
              void run(async () => {
                const drawn = await closeRaffle(product.id);
                onDrop(raffleEvent(drawn));
                return `Drawn: ${drawn.units} ${drawn.units === 1 ? "winner" : "winners"} from ${drawn.entries} ${drawn.entries === 1 ? "entry" : "entries"}. Their items are reserved for them.`;
              });
            }}
          >
            Close entries and draw
          </button>
        )}
        <label className="inline-field">
          <span>Accounts allowed</span>
          <select
            value={ageValue}
            disabled={off || !rules}
            onChange={(e) => void saveRules({ min_account_age_seconds: Number(e.target.value) })}
          >
            {ages.map((a) => (
              <option key={a.seconds} value={a.seconds}>
                {a.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {message && (
        <Notice tone={message.tone} onDismiss={() => setMessage(null)}>
          {message.text}
        </Notice>
      )}
    </div>
  );
}

function QueueStatus({ room, product }: { room: QueueEvent | null; product: Product }) {
  let text: string;
  if (!room) {
    text = product.sale_open
      ? "The sale is open: viewers join the line as they come."
      : "Not announced yet. Announce the drop so viewers can join before the sale opens.";
  } else if (room.sold_out) {
    text = `Sold out · ${waitingCount(room)} still in line · ${room.served} admitted so far`;
  } else if (room.phase === "waiting") {
    text = `${room.joined} in line, waiting for the sale to open (their order is drawn at random when it opens)`;
  } else {
    text = `${waitingCount(room)} waiting · ${room.served} admitted so far · ${room.joined} joined`;
  }
  return (
    <p className="small drop-status" data-testid="queue-length" aria-live="polite">
      {text}
    </p>
  );
}

function RaffleStatusLine({ raffle }: { raffle: RaffleEvent | null }) {
  let text: string;
  if (!raffle) text = "Entries are not open yet.";
  else if (raffle.status === "open") {
    const closes = clockTime(raffle.closes_at);
    text = `${raffle.entries} ${raffle.entries === 1 ? "entry" : "entries"} · open${closes ? ` until ${closes}` : " until you close them"}`;
  } else text = `Drawn from ${raffle.entries} ${raffle.entries === 1 ? "entry" : "entries"}. Units winners let go pass down the draw order.`;
  return (
    <p className="small drop-status" data-testid="raffle-entries" aria-live="polite">
      {text}
      {raffle && (
        <>
          {" "}
          <a href={`/api/v1/products/${raffle.product_id}/raffle/entries`} target="_blank" rel="noopener">
            {raffle.status === "drawn" ? "Draw details to re-run it" : "Seed commitment"}
          </a>
        </>
      )}
    </p>
  );
}

/** The most one buyer may hold and buy across all the show's products. */
export function ShowLimitForm({ showId, disabled }: { showId: number; disabled: boolean }) {
  const [limit, setLimit] = useState<number | null | undefined>(undefined);
  const [value, setValue] = useState("");
  const [message, setMessage] = useState<{ tone: "error" | "success"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const inputId = useId();

  useEffect(() => {
    showLimit(showId).then(
      (l) => {
        setLimit(l.per_user_limit);
        setValue(l.per_user_limit == null ? "" : String(l.per_user_limit));
      },
      () => setLimit(null),
    );
  }, [showId]);

  async function save(next: number | null) {
    setBusy(true);
    setMessage(null);
    try {
      const saved = await setShowLimit(showId, next);
      setLimit(saved.per_user_limit);
      setValue(saved.per_user_limit == null ? "" : String(saved.per_user_limit));
      setMessage({
        tone: "success",
        text: saved.per_user_limit == null
          ? "No show-wide limit: each product's own limit applies."
          : `One buyer can hold and buy at most ${saved.per_user_limit} across this show.`,
      });
    } catch (err) {
      setMessage({ tone: "error", text: explain(err).message });
    } finally {
      setBusy(false);
    }
  }

  const n = Number(value);
  const valid = value.trim() === "" || (Number.isInteger(n) && n >= 1 && n <= 10_000);
  return (
    <form
      className="show-limit"
      onSubmit={(e) => {
        e.preventDefault();
        if (valid) void save(value.trim() === "" ? null : n);
      }}
    >
      <div className="inline-field">
        <label htmlFor={inputId}>Limit per buyer, whole show</label>
        <input
          id={inputId}
          type="number"
          inputMode="numeric"
          min={1}
          max={10_000}
          step={1}
          placeholder="None"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          className="input-narrow"
          aria-describedby={`${inputId}-hint`}
          disabled={disabled || limit === undefined}
        />
        <button type="submit" className="btn btn-ghost btn-sm" disabled={disabled || busy || !valid || limit === undefined}>
          Save
        </button>
      </div>
      <small id={`${inputId}-hint`} className="hint">
        Counts what one buyer has in their cart and has bought across all products. Leave empty for no limit.
      </small>
      {message && (
        <Notice tone={message.tone} onDismiss={() => setMessage(null)}>
          {message.text}
        </Notice>
      )}
    </form>
  );
}
