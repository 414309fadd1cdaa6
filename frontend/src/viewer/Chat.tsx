import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import type { ShowChannel } from "../api/channel";
import type { ServerControl } from "../api/contracts";
import { useSession } from "../app/useSession";
import { explain } from "../lib/errors";
import { Link } from "../ui/Link";
import { useNow } from "../ui/useNow";
import type { ChatLine } from "./useShow";

const MAX_LENGTH = 500;

export interface ChatProps {
  lines: ChatLine[];
  slowModeSeconds: number;
  channel: React.RefObject<ShowChannel | null>;
  /** The latest control message from the channel (acks and errors for sent messages). */
  control: ServerControl | null;
  ended: boolean;
  /** Moderation actions beside each line (studio). */
  moderate?: (line: ChatLine) => ReactNode;
}

export function Chat({ lines, slowModeSeconds, channel, control, ended, moderate }: ChatProps) {
  const s = useSession();
  const [text, setText] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const [blockedUntil, setBlockedUntil] = useState(0);
  const [pending, setPending] = useState<string | null>(null);
  const listRef = useRef<HTMLOListElement>(null);
  const now = useNow(1000, blockedUntil > Date.now());

  useEffect(() => {
    const list = listRef.current;
    if (!list) return;
    // Follow new messages unless the reader scrolled up.
    if (list.scrollHeight - list.scrollTop - list.clientHeight < 120) list.scrollTop = list.scrollHeight;
  }, [lines.length]);

  useEffect(() => {
    if (!control) return;
    if (control.type === "chat_ack" && control.ref === pending) {
      setPending(null);
      if (slowModeSeconds > 0) setBlockedUntil(Date.now() + slowModeSeconds * 1000);
    } else if (control.type === "error" && (control.ref == null || control.ref === pending)) {
      setPending(null);
      setNotice(explain(control).message);
      if (control.retry_after_ms) setBlockedUntil(Date.now() + control.retry_after_ms);
    }
  }, [control, pending, slowModeSeconds]);

  function send(e: FormEvent) {
    e.preventDefault();
    const body = text.trim();
    if (!body) return;
    const ref = channel.current?.sendChat(body) ?? null;
    if (!ref) {
      setNotice("Chat is reconnecting. Your message was not sent; try again in a moment.");
      return;
    }
    setPending(ref);
    setNotice(null);
    setText("");
  }

  const waitS = Math.max(0, Math.ceil((blockedUntil - now) / 1000));
  return (
    <div className="chat">
      {slowModeSeconds > 0 && (
        <p className="chat-slow small" role="status">
          Slow mode: one message every {slowModeSeconds} s
        </p>
      )}
      <ol className="chat-list" ref={listRef} aria-label="Chat messages" aria-live="polite">
        {lines.length === 0 && <li className="muted small">No messages yet. Say hello!</li>}
        {lines.map((l) => (
          <li key={l.id} className={`chat-line role-${l.role}`}>
            <span className="chat-name">
              {l.name}
              {l.role !== "viewer" && <span className="chat-role">{l.role}</span>}
            </span>{" "}
            <span className="chat-text">{l.text}</span>
            {moderate?.(l)}
          </li>
        ))}
      </ol>
      {notice && (
        <p className="chat-notice small" role="alert">
          {notice}
        </p>
      )}
      {ended ? (
        <p className="muted small">The show has ended; chat is closed.</p>
      ) : s ? (
        <form className="chat-form" onSubmit={send}>
          <label htmlFor="chat-input" className="visually-hidden">
            Message
          </label>
          <input
            id="chat-input"
            value={text}
            onChange={(e) => setText(e.target.value)}
            maxLength={MAX_LENGTH}
            placeholder={waitS ? `Wait ${waitS} s…` : "Say something nice"}
            autoComplete="off"
            enterKeyHint="send"
          />
          <button className="btn btn-primary btn-sm" type="submit" disabled={!text.trim() || waitS > 0 || pending != null}>
            Send
          </button>
        </form>
      ) : (
        <p className="small">
          <Link to={`/login?next=${encodeURIComponent(location.pathname)}`}>Log in</Link> to chat.
        </p>
      )}
    </div>
  );
}
