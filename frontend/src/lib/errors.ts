// Every error code the APIs answer with, as a sentence that says what happened and what to do.
import { ApiError } from "../api/http";

export interface Explained {
  /** What happened and what to do next, in one or two sentences. */
  message: string;
  /** Seconds to wait before trying again, when the server said. */
  retryAfter: number | null;
  code: string;
}

type Sentence = string | ((e: { detail: string; retryAfter: number | null }) => string);

function waitPhrase(seconds: number | null): string {
  if (seconds == null) return "in a moment";
  if (seconds <= 1) return "in a second";
  if (seconds < 90) return `in ${seconds} seconds`;
  return `in about ${Math.round(seconds / 60)} minutes`;
}

export const ERROR_SENTENCES: Record<string, Sentence> = {
  // Accounts
  invalid_credentials: "That email and password do not match. Check them and try again.",
  email_taken: "An account with this email already exists. Log in instead, or use another email.",
  // Also answered to holds, queue joins and raffle entries tried too often.
  too_many_attempts: ({ retryAfter }) =>
    `Too many attempts in a short time. Wait, then try again ${waitPhrase(retryAfter)}.`,
  unauthorized: "Your session has ended. Log in again to continue.",
  auth_required: "Log in to do this.",
  token_expired: "Your session has ended. Log in again to continue.",
  forbidden: "Your account is not allowed to do this. Log in with the host account of this show.",

  // Shows and products
  not_found: "We could not find this. It may have been removed; go back and reload the page.",
  show_not_found: "This show does not exist. Check the link, or find the show from the home page.",
  invalid_transition: ({ detail }) => detail || "The show cannot change to that state now.",
  sku_taken: "Another product in this show already uses this SKU. Choose a different SKU.",
  stock_below_committed:
    "Stock cannot go below the units already sold or in carts. Enter a higher number.",
  product_not_in_show: "This product is not part of this show. Reload the studio and try again.",

  // Buying
  sold_out: "Sold out — every unit is sold or in someone's cart. Units in carts come back if not bought, so check again in a few minutes.",
  limit_exceeded: "You already have as many as one person may buy. Finish checkout for what is in your cart.",
  sale_not_open: "The sale has not started yet. Stay on the show: the buy button lights up when the host opens it.",
  hold_expired: "Your reservation ran out before checkout, and the item went back on sale. Tap Buy to try again.",
  hold_not_found: "This reservation no longer exists. Tap Buy to try again.",
  admission_required: "This product sells through a waiting line or raffle. Join it to get your chance to buy.",
  hold_already_ordered: "This reservation is already an order. Check your orders before trying again.",
  checkout_conflict: "Checkout is busy for a moment. Tap Place order again.",
  inventory_unavailable: ({ retryAfter }) =>
    `The sale is briefly unavailable. Try again ${waitPhrase(retryAfter)}.`,
  idempotency_key_reused: "This checkout was already sent with different details. Reload the page and check your orders.",
  idempotency_key_required: "Checkout could not be sent safely. Reload the page and try again.",
  invalid_idempotency_key: "Checkout could not be sent safely. Reload the page and try again.",
  unknown_payment_provider: "This payment method is not available. Reload the page and try again.",
  payment_failed: "The payment did not go through. Your item stays reserved until the timer ends: try again.",

  // Fair drops: the waiting line, raffles, drop rules and limits
  not_admitted: "It is not your turn yet. Keep this page open: the button lights up when you are admitted.",
  admission_expired:
    "Your turn to buy ended before you reserved, so the next people in line were admitted. Keep watching: the host may restock.",
  queue_not_open: "The host has not opened the line for this drop yet. Stay on the show: you can join as soon as they announce it.",
  queue_closed: "The waiting line for this product has closed.",
  queue_unavailable: ({ retryAfter }) =>
    `The waiting line is briefly unavailable. Your place is kept; try again ${waitPhrase(retryAfter)}.`,
  not_a_queue: "This product no longer sells through a waiting line. Reload the page to see how it is sold now.",
  not_a_raffle: "This product is not sold by raffle (any more). Reload the page to see how it is sold now.",
  raffle_not_open: "Entries for this raffle have not opened yet. Stay on the show: you can enter as soon as the host opens them.",
  raffle_closed: "Entries for this raffle have closed. If you entered, your result appears here once it is drawn.",
  raffle_drawn: "This raffle has already been drawn, so it cannot be opened again.",
  no_raffle: "This raffle has not started yet. Stay on the show: you can enter when the host opens entries.",
  already_entered: "You are already in this raffle (one entry per person). Your result appears here when it is drawn.",
  account_too_new: ({ detail }) =>
    detail
      ? `${detail} Until then you can keep watching and buy other products.`
      : "Your account is too new for this drop. You can keep watching and buy other products.",
  show_limit_exceeded:
    "You have reached this show's limit for one buyer, counting what is in your cart. Finish checkout for what you have.",

  // Rate limits
  too_many_requests: ({ retryAfter }) =>
    `Lots of people are trying at once. Try again ${waitPhrase(retryAfter)}.`,
  rate_limited: ({ retryAfter }) =>
    `You are sending messages too quickly. Try again ${waitPhrase(retryAfter)}.`,

  // Chat
  muted: "A moderator muted you in this chat for now. You can keep watching and buying.",
  banned: "A moderator removed you from this chat. You can keep watching and buying.",
  empty_message: "Type a message first.",
  message_too_long: ({ detail }) => detail || "That message is too long. Shorten it and send again.",
  invalid_characters: "The message contains a character that is not allowed. Remove it and send again.",
  show_ended: "This show has ended, so chat is closed.",
  not_show_host: "Only the host of this show can do this.",
  not_a_moderator: "Only the host or a moderator can do this.",
  target_is_host: "The host cannot be muted or banned.",
  user_not_found: "That user no longer exists.",
  message_not_found: "That message was already deleted.",

  // Studio: highlights and streaming
  media_unavailable: "The media server did not answer. Wait a few seconds and highlight again.",
  stream_time_unknown: "The stream has not reached viewers yet. Go live (or wait until the stream is running) and highlight again.",
  captured_at_out_of_range: "Your computer's clock is far off. Set it to update automatically, then highlight again.",
  whip_unauthorized: "The stream key was refused. Reload the studio to get the current key, then go live again.",
  whip_conflict: "This show is already being streamed from somewhere else. Stop that stream first.",
  media_not_allowed: "The browser is not allowed to use the camera or microphone. Allow access in the address bar, then try again.",
  no_media_device: "No camera or microphone was found. Connect one and choose it in the device list.",

  // Transport
  network_error: "We could not reach showfloor. Check your connection; we will keep trying.",
  server_error: "Something went wrong on our side. Try again in a moment.",
  invalid_input: ({ detail }) =>
    detail ? `Please check the form: ${detail}` : "Something in the form is not valid. Check it and try again.",
  conflict: ({ detail }) => detail || "This changed in the meantime. Reload and try again.",
  gone: "This is no longer available. Reload the page.",
  payload_too_large: "That is too large to send.",
};

const FALLBACK: Sentence = ({ detail }) =>
  detail ? `${detail}` : "Something went wrong. Try again in a moment.";

/** A human sentence for any error: an ApiError's code, a WebSocket error, or anything thrown. */
export function explain(
  error: unknown,
): Explained {
  if (error instanceof ApiError) {
    return explainCode(error.code, error.detail, error.retryAfter);
  }
  if (error instanceof DOMException) {
    if (error.name === "NotAllowedError") return explainCode("media_not_allowed");
    if (error.name === "NotFoundError" || error.name === "OverconstrainedError") {
      return explainCode("no_media_device");
    }
  }
  if (error && typeof error === "object" && "code" in error && typeof error.code === "string") {
    const e = error as { code: string; detail?: string; retry_after_ms?: number | null };
    const retry = e.retry_after_ms != null ? Math.ceil(e.retry_after_ms / 1000) : null;
    return explainCode(e.code, e.detail ?? "", retry);
  }
  return explainCode("unknown", error instanceof Error ? error.message : "");
}

export function explainCode(code: string, detail = "", retryAfter: number | null = null): Explained {
  const sentence = ERROR_SENTENCES[code] ?? FALLBACK;
  const message = typeof sentence === "string" ? sentence : sentence({ detail, retryAfter });
  return { message, retryAfter, code };
}

/** Field errors of an invalid form, by field name, for showing beside each input. */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  const out: Record<string, string> = {};
  for (const f of error.fields) out[f.field] = f.message;
  return out;
}
