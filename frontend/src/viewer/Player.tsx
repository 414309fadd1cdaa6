// The video: LL-HLS through hls.js (light build, loaded on demand), or the browser's own HLS on
// Safari/iOS. Reports the playhead's program-date-time so product cards appear with the frame.
import type HlsType from "hls.js/light";
import type { LevelDetails } from "hls.js/light";
import {
  forwardRef,
  useCallback,
  useEffect,
  useImperativeHandle,
  useRef,
  useState,
} from "react";
import { backoffMs } from "../api/channel";
import { dateForMediaTime, mediaTimeForDate, type FragmentTiming, type HighlightSource } from "../lib/highlights";
import { IconMute, IconVolume } from "../ui/icons";

export interface PlayerHandle {
  seekToDate(ms: number): boolean;
}

export interface PlayerProps {
  src: string;
  live: boolean;
  /** The program-date-time under the playhead (ms), a few times per second. */
  onPlayingDate: (ms: number | null) => void;
  /** Highlights found as EXT-X-DATERANGE in the playlist. */
  onDateRanges?: (ranges: HighlightSource[]) => void;
  /** The replay's program-date-time span, for the timeline. */
  onSpan?: (span: { start: number; end: number } | null) => void;
  children?: React.ReactNode;
}

type PlaybackState = "loading" | "playing" | "waiting_for_stream" | "stalled" | "unsupported";

const HIGHLIGHT_CLASS = "com.showfloor.highlight";
const TICK_MS = 200;

function fragmentsOf(details: LevelDetails): FragmentTiming[] {
  return details.fragments.map((f) => ({
    start: f.start,
    duration: f.duration,
    programDateTime: f.programDateTime ?? null,
  }));
}

export const Player = forwardRef<PlayerHandle, PlayerProps>(function Player(
  { src, live, onPlayingDate, onDateRanges, onSpan, children },
  ref,
) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const hlsRef = useRef<HlsType | null>(null);
  const fragmentsRef = useRef<FragmentTiming[]>([]);
  const [state, setState] = useState<PlaybackState>("loading");
  const [muted, setMuted] = useState(true);
  const [latency, setLatency] = useState<number | null>(null);
  const [needsTap, setNeedsTap] = useState(false);

  const callbacks = useRef({ onPlayingDate, onDateRanges, onSpan });
  callbacks.current = { onPlayingDate, onDateRanges, onSpan };

  useImperativeHandle(ref, () => ({
    seekToDate(ms: number) {
      const video = videoRef.current;
      if (!video) return false;
      const t = mediaTimeForDate(fragmentsRef.current, ms);
      if (t == null) return false;
      video.currentTime = t;
      void video.play().catch(() => setNeedsTap(true));
      return true;
    },
  }));

  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    let cancelled = false;
    let retryTimer: ReturnType<typeof setTimeout> | null = null;
    let attempt = 0;
    setState("loading");

    const tryPlay = () => {
      video.play().then(
        () => setNeedsTap(false),
        () => setNeedsTap(true),
      );
    };

    const nativeHls = video.canPlayType("application/vnd.apple.mpegurl") !== "";

    async function startHlsJs() {
      const { default: Hls } = await import("hls.js/light");
      if (cancelled) return;
      if (!Hls.isSupported()) {
        setState("unsupported");
        return;
      }
      const hls = new Hls({
        lowLatencyMode: live,
        backBufferLength: live ? 30 : 90,
        liveSyncDurationCount: 2,
        // The stream may not exist yet (host not live) or restart: keep asking, gently.
        manifestLoadPolicy: {
          default: {
            maxTimeToFirstByteMs: 10_000,
            maxLoadTimeMs: 20_000,
            timeoutRetry: { maxNumRetry: 2, retryDelayMs: 0, maxRetryDelayMs: 0 },
            errorRetry: { maxNumRetry: 1, retryDelayMs: 1000, maxRetryDelayMs: 8000 },
          },
        },
      });
      hlsRef.current = hls;
      hls.on(Hls.Events.MANIFEST_PARSED, () => {
        attempt = 0;
        tryPlay();
      });
      hls.on(Hls.Events.LEVEL_UPDATED, (_e, data) => {
        fragmentsRef.current = fragmentsOf(data.details);
        const ranges = Object.values(data.details.dateRanges ?? {})
          .filter((r): r is NonNullable<typeof r> => !!r && r.class === HIGHLIGHT_CLASS && r.isValid)
          .map((r) => ({
            highlightId: r.id,
            productId: Number(r.attr["X-PRODUCT-ID"]),
            start: r.startDate.getTime(),
          }))
          .filter((r) => Number.isFinite(r.productId));
        if (ranges.length) callbacks.current.onDateRanges?.(ranges);
        const frags = fragmentsRef.current.filter((f) => f.programDateTime != null);
        if (frags.length) {
          const last = frags[frags.length - 1]!;
          callbacks.current.onSpan?.({
            start: frags[0]!.programDateTime!,
            end: last.programDateTime! + last.duration * 1000,
          });
        }
      });
      hls.on(Hls.Events.ERROR, (_e, data) => {
        if (!data.fatal) return;
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
          hls.recoverMediaError();
          return;
        }
        // Network: the playlist is not there yet or the publisher reconnected. Start over later.
        setState("waiting_for_stream");
        hls.stopLoad();
        retryTimer = setTimeout(() => {
          if (cancelled) return;
          hls.loadSource(src);
          hls.startLoad();
        }, backoffMs(attempt++));
      });
      hls.loadSource(src);
      hls.attachMedia(video!);
    }

    if (nativeHls && !("MediaSource" in window || "ManagedMediaSource" in window)) {
      video.src = src;
      tryPlay();
    } else {
      void startHlsJs();
    }

    const onPlaying = () => setState("playing");
    const onWaiting = () => setState((s) => (s === "playing" ? "stalled" : s));
    const onNativeError = () => {
      if (hlsRef.current) return;
      setState("waiting_for_stream");
      retryTimer = setTimeout(() => {
        video.src = src;
        tryPlay();
      }, backoffMs(attempt++));
    };
    video.addEventListener("playing", onPlaying);
    video.addEventListener("waiting", onWaiting);
    video.addEventListener("error", onNativeError);

    const tick = setInterval(() => {
      const hls = hlsRef.current;
      let date: number | null = null;
      if (hls) {
        date = hls.playingDate?.getTime() ?? null;
        if (live && hls.latency > 0) setLatency(hls.latency);
      } else {
        const start = (video as HTMLVideoElement & { getStartDate?: () => Date }).getStartDate?.();
        if (start && !Number.isNaN(start.getTime())) date = start.getTime() + video.currentTime * 1000;
        else date = dateForMediaTime(fragmentsRef.current, video.currentTime);
      }
      callbacks.current.onPlayingDate(date);
      // Readable by tests and tools: the wall-clock instant of the frame on screen.
      video.dataset.playingDate = date == null ? "" : String(date);
      if (live && date != null && !hls) setLatency(Math.max(0, (Date.now() - date) / 1000));
    }, TICK_MS);

    return () => {
      cancelled = true;
      clearInterval(tick);
      if (retryTimer) clearTimeout(retryTimer);
      video.removeEventListener("playing", onPlaying);
      video.removeEventListener("waiting", onWaiting);
      video.removeEventListener("error", onNativeError);
      hlsRef.current?.destroy();
      hlsRef.current = null;
      video.removeAttribute("src");
      video.load();
    };
  }, [src, live]);

  const toggleMute = useCallback(() => {
    const video = videoRef.current;
    if (!video) return;
    video.muted = !video.muted;
    setMuted(video.muted);
    if (video.paused) void video.play().catch(() => undefined);
    setNeedsTap(false);
  }, []);

  const goLive = useCallback(() => {
    const hls = hlsRef.current;
    const video = videoRef.current;
    if (hls?.liveSyncPosition != null && video) video.currentTime = hls.liveSyncPosition;
  }, []);

  return (
    <div className="player" data-state={state}>
      <video
        ref={videoRef}
        className="player-video"
        playsInline
        muted={muted}
        autoPlay
        controls={!live}
        aria-label={live ? "Live video" : "Replay video"}
      />
      {state !== "playing" && state !== "stalled" && (
        <div className="player-overlay" role="status">
          {state === "loading" && <span className="spinner" aria-label="Loading video" />}
          {state === "waiting_for_stream" && (
            <p>{live ? "Waiting for the host to go live…" : "The replay is not ready yet. Trying again…"}</p>
          )}
          {state === "unsupported" && <p>This browser cannot play the video. Try a current Chrome, Firefox or Safari.</p>}
        </div>
      )}
      {live && (state === "playing" || state === "stalled") && (
        <div className="player-live">
          <button
            type="button"
            className={`live-pill ${latency != null && latency > 6 ? "behind" : ""}`}
            onClick={goLive}
            title="Jump to live"
            aria-label={latency != null ? `Live, ${latency.toFixed(1)} seconds behind. Jump to live.` : "Live"}
          >
            <span className="live-dot" aria-hidden="true" />
            LIVE
            {latency != null && <span className="latency">{latency.toFixed(1)} s</span>}
          </button>
        </div>
      )}
      <button
        type="button"
        className={`mute-btn ${needsTap || muted ? "attention" : ""}`}
        onClick={toggleMute}
        aria-pressed={!muted}
        aria-label={muted ? "Unmute" : "Mute"}
      >
        {muted ? <IconMute /> : <IconVolume />}
        {muted && <span className="mute-label">Tap for sound</span>}
      </button>
      {children}
    </div>
  );
});
