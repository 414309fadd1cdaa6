// Camera and microphone preview with device pickers and a quality choice; going live over WHIP;
// stream health (bitrate, fps, resolution) from the sender's statistics.
import { useCallback, useEffect, useRef, useState } from "react";
import { WhipSession } from "../api/whip";
import { explain } from "../lib/errors";
import {
  bitrateBetween,
  formatBitrate,
  presetById,
  QUALITY_PRESETS,
  streamHealth,
  videoConstraints,
  type OutboundSample,
} from "../lib/quality";
import { formatCountdown } from "../lib/countdown";
import { SelectField } from "../ui/Field";
import { IconCamera, IconRadio } from "../ui/icons";
import { Notice } from "../ui/Notice";
import { useNow } from "../ui/useNow";

interface Health {
  bitrate: number;
  fps: number | null;
  width: number | null;
  height: number | null;
}

type LiveState = "off" | "connecting" | "live" | "reconnecting";

export function Broadcast({
  showId,
  streamKey,
  ended,
  viewers,
  onLiveChange,
}: {
  showId: number;
  streamKey: string | undefined;
  ended: boolean;
  viewers: number | null;
  onLiveChange?: (live: boolean) => void;
}) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const streamRef = useRef<MediaStream | null>(null);
  const sessionRef = useRef<WhipSession | null>(null);
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [cameraId, setCameraId] = useState("");
  const [micId, setMicId] = useState("");
  const [quality, setQuality] = useState("standard");
  const [previewing, setPreviewing] = useState(false);
  const [live, setLive] = useState<LiveState>("off");
  const [liveSince, setLiveSince] = useState<number | null>(null);
  const [health, setHealth] = useState<Health | null>(null);
  const [error, setError] = useState<unknown>(null);
  const now = useNow(1000, live === "live");

  const refreshDevices = useCallback(async () => {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    setDevices(await navigator.mediaDevices.enumerateDevices());
  }, []);

  const stopTracks = () => {
    streamRef.current?.getTracks().forEach((t) => t.stop());
    streamRef.current = null;
  };

  const startPreview = useCallback(async () => {
    setError(null);
    if (!navigator.mediaDevices?.getUserMedia) {
      setError(new Error("This browser cannot use a camera here (it needs https or localhost)."));
      return;
    }
    try {
      const preset = presetById(quality);
      const stream = await navigator.mediaDevices.getUserMedia({
        video: videoConstraints(preset, cameraId || undefined),
        audio: micId ? { deviceId: { exact: micId }, echoCancellation: true } : { echoCancellation: true },
      });
      const old = streamRef.current;
      streamRef.current = stream;
      if (videoRef.current) videoRef.current.srcObject = stream;
      // While live, switch the outgoing tracks without interrupting the broadcast.
      if (sessionRef.current) {
        for (const track of stream.getTracks()) await sessionRef.current.replaceTrack(track);
      }
      old?.getTracks().forEach((t) => t.stop());
      setPreviewing(true);
      const [v] = stream.getVideoTracks();
      const [a] = stream.getAudioTracks();
      if (v?.getSettings().deviceId) setCameraId(v.getSettings().deviceId!);
      if (a?.getSettings().deviceId) setMicId(a.getSettings().deviceId!);
      await refreshDevices();
    } catch (err) {
      setError(err);
    }
  }, [cameraId, micId, quality, refreshDevices]);

  useEffect(() => {
    void refreshDevices();
    navigator.mediaDevices?.addEventListener?.("devicechange", refreshDevices);
    return () => {
      navigator.mediaDevices?.removeEventListener?.("devicechange", refreshDevices);
      void sessionRef.current?.stop();
      sessionRef.current = null;
      stopTracks();
    };
  }, [refreshDevices]);

  // A new device or quality while previewing restarts the capture with it.
  const firstRender = useRef(true);
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    if (previewing) void startPreview();
  }, [cameraId, micId, quality]); // eslint-disable-line react-hooks/exhaustive-deps

  const goLive = useCallback(async () => {
    if (!streamRef.current || !streamKey) return;
    setError(null);
    setLive("connecting");
    try {
      const session = await WhipSession.publish(showId, streamKey, streamRef.current, {
        maxVideoBitrate: presetById(quality).maxBitrate,
        size: { width: presetById(quality).width, height: presetById(quality).height },
      });
      sessionRef.current = session;
      session.pc.addEventListener("connectionstatechange", () => {
        const st = session.pc.connectionState;
        if (st === "connected") setLive("live");
        else if (st === "disconnected") setLive("reconnecting");
        else if (st === "failed") {
          setLive("off");
          setError(new Error("The connection to the media server was lost. Press Go live to reconnect."));
          sessionRef.current = null;
          onLiveChange?.(false);
        }
      });
      setLive(session.pc.connectionState === "connected" ? "live" : "connecting");
      setLiveSince(Date.now());
      onLiveChange?.(true);
    } catch (err) {
      setLive("off");
      setError(err);
    }
  }, [showId, streamKey, quality, onLiveChange]);

  const stopLive = useCallback(async () => {
    const session = sessionRef.current;
    sessionRef.current = null;
    setLive("off");
    setHealth(null);
    setLiveSince(null);
    onLiveChange?.(false);
    await session?.stop();
  }, [onLiveChange]);

  // Health from outbound-rtp statistics, once a second.
  useEffect(() => {
    if (live === "off") return;
    let prev: OutboundSample | null = null;
    const t = setInterval(async () => {
      const stats = await sessionRef.current?.outboundVideo();
      if (!stats) return;
      const cur = { timestamp: stats.timestamp, bytesSent: stats.bytesSent };
      setHealth({
        bitrate: prev ? bitrateBetween(prev, cur) : 0,
        fps: stats.framesPerSecond,
        width: stats.frameWidth,
        height: stats.frameHeight,
      });
      prev = cur;
    }, 1000);
    return () => clearInterval(t);
  }, [live]);

  const cameras = devices.filter((d) => d.kind === "videoinput");
  const mics = devices.filter((d) => d.kind === "audioinput");
  const preset = presetById(quality);
  const verdict = health ? streamHealth(health.bitrate, health.fps, preset) : null;

  return (
    <section className="card broadcast" aria-labelledby="broadcast-title">
      <div className="card-head">
        <h2 id="broadcast-title">Broadcast</h2>
        {live !== "off" && (
          <span className={`onair onair-${live}`} role="status" data-testid="onair">
            <span className="live-dot" aria-hidden="true" />
            {live === "live" ? "On air" : live === "connecting" ? "Connecting…" : "Reconnecting…"}
            {live === "live" && liveSince && <span className="mono">{formatCountdown(now - liveSince)}</span>}
          </span>
        )}
      </div>
      <div className="preview">
        <video ref={videoRef} autoPlay playsInline muted aria-label="Camera preview" data-testid="preview" />
        {!previewing && (
          <div className="preview-empty">
            <IconCamera size={32} />
            <button type="button" className="btn btn-primary" onClick={() => void startPreview()} disabled={ended}>
              Start camera
            </button>
            <p className="small muted">Your browser asks to use the camera and microphone.</p>
          </div>
        )}
      </div>
      {error != null && <Notice tone="error">{explain(error).message}</Notice>}
      <div className="device-row">
        <SelectField label="Camera" value={cameraId} onChange={(e) => setCameraId(e.target.value)} disabled={!previewing}>
          {!cameras.length && <option value="">Default camera</option>}
          {cameras.map((d, i) => (
            <option key={d.deviceId || i} value={d.deviceId}>
              {d.label || `Camera ${i + 1}`}
            </option>
          ))}
        </SelectField>
        <SelectField label="Microphone" value={micId} onChange={(e) => setMicId(e.target.value)} disabled={!previewing}>
          {!mics.length && <option value="">Default microphone</option>}
          {mics.map((d, i) => (
            <option key={d.deviceId || i} value={d.deviceId}>
              {d.label || `Microphone ${i + 1}`}
            </option>
          ))}
        </SelectField>
        <SelectField label="Quality" value={quality} onChange={(e) => setQuality(e.target.value)} disabled={live !== "off"}>
          {QUALITY_PRESETS.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label}
            </option>
          ))}
        </SelectField>
      </div>
      <div className="broadcast-actions">
        {live === "off" ? (
          <button
            type="button"
            className="btn btn-live"
            onClick={() => void goLive()}
            disabled={!previewing || !streamKey || ended}
          >
            <IconRadio size={18} /> Go live
          </button>
        ) : (
          <button type="button" className="btn btn-danger" onClick={() => void stopLive()}>
            Stop broadcast
          </button>
        )}
        {ended && <span className="small muted">This show has ended.</span>}
      </div>
      <dl className="health" aria-label="Stream health">
        <div>
          <dt>Bitrate</dt>
          <dd data-testid="health-bitrate">{health ? formatBitrate(health.bitrate) : "—"}</dd>
        </div>
        <div>
          <dt>Frame rate</dt>
          <dd>{health?.fps != null ? `${Math.round(health.fps)} fps` : "—"}</dd>
        </div>
        <div>
          <dt>Resolution</dt>
          <dd>{health?.width ? `${health.width}×${health.height}` : "—"}</dd>
        </div>
        <div>
          <dt>Viewers</dt>
          <dd>{viewers ?? "—"}</dd>
        </div>
        {verdict && (
          <div>
            <dt>Health</dt>
            <dd className={`verdict verdict-${verdict}`}>{verdict === "good" ? "Good" : verdict === "fair" ? "Fair" : "Poor"}</dd>
          </div>
        )}
      </dl>
    </section>
  );
}
