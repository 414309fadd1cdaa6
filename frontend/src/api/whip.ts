// Publishing a MediaStream over WHIP (RFC 9725): one POST with the SDP offer (the show's stream key
// as bearer token), 201 with the SDP answer and the session's Location; DELETE on it ends.
import { ApiError, problemOf } from "./http";

export interface WhipOptions {
  maxVideoBitrate?: number;
  /** The picture size the server encodes (it scales to it), e.g. the chosen quality's. */
  size?: { width: number; height: number };
  iceGatheringTimeoutMs?: number;
}

export class WhipSession {
  private readonly onPageHide: () => void;

  private constructor(
    readonly pc: RTCPeerConnection,
    readonly resource: string | null,
    private readonly streamKey: string,
  ) {
    // A closed tab or a reload ends the session at once (a keepalive request outlives the page),
    // so the show does not stay busy until the server notices the silence.
    this.onPageHide = () => {
      if (this.resource) {
        void fetch(this.resource, {
          method: "DELETE",
          keepalive: true,
          headers: { authorization: `Bearer ${this.streamKey}` },
        }).catch(() => undefined);
      }
    };
    window.addEventListener("pagehide", this.onPageHide);
  }

  static async publish(
    showId: number,
    streamKey: string,
    stream: MediaStream,
    options: WhipOptions = {},
  ): Promise<WhipSession> {
    const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
    try {
      for (const track of stream.getTracks()) {
        const transceiver = pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
        if (track.kind === "video") {
          preferCodec(transceiver, "video/H264");
          if (options.maxVideoBitrate) {
            const params = transceiver.sender.getParameters();
            if (!params.encodings?.length) params.encodings = [{}];
            params.encodings[0]!.maxBitrate = options.maxVideoBitrate;
            await transceiver.sender.setParameters(params).catch(() => undefined);
          }
        }
      }
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      await iceGatheringComplete(pc, options.iceGatheringTimeoutMs ?? 2000);

      let res: Response;
      try {
        const size = options.size ? `?size=${options.size.width}x${options.size.height}` : "";
        res = await fetch(`/whip/${showId}${size}`, {
          method: "POST",
          headers: { "content-type": "application/sdp", authorization: `Bearer ${streamKey}` },
          body: pc.localDescription!.sdp,
        });
      } catch (err) {
        throw new ApiError({ status: 0, code: "network_error", detail: String(err) });
      }
      if (res.status !== 201 && res.status !== 200) {
        const error = await problemOf(res);
        if (res.status === 401 || res.status === 403) {
          throw new ApiError({ status: res.status, code: "whip_unauthorized", detail: error.detail });
        }
        if (res.status === 409 && error.code === "show_busy") {
          throw new ApiError({ status: 409, code: "whip_conflict", detail: error.detail });
        }
        if (res.status === 404) {
          throw new ApiError({ status: 404, code: "media_unavailable", detail: error.detail });
        }
        throw error;
      }
      const answer = await res.text();
      await pc.setRemoteDescription({ type: "answer", sdp: answer });
      const location = res.headers.get("location");
      return new WhipSession(pc, location ? new URL(location, window.location.href).href : null, streamKey);
    } catch (err) {
      pc.close();
      throw err;
    }
  }

  /** Ends the broadcast: DELETE the WHIP resource, then close the connection. */
  async stop(): Promise<void> {
    window.removeEventListener("pagehide", this.onPageHide);
    if (this.resource) {
      await fetch(this.resource, {
        method: "DELETE",
        headers: { authorization: `Bearer ${this.streamKey}` },
      }).catch(() => undefined);
    }
    this.pc.close();
  }

  /** Swaps a track (another camera or microphone) without renegotiating. */
  async replaceTrack(track: MediaStreamTrack): Promise<void> {
    const sender = this.pc.getSenders().find((s) => s.track?.kind === track.kind);
    await sender?.replaceTrack(track);
  }

  async outboundVideo(): Promise<{
    timestamp: number;
    bytesSent: number;
    framesPerSecond: number | null;
    frameWidth: number | null;
    frameHeight: number | null;
  } | null> {
    const report = await this.pc.getStats();
    let found = null;
    report.forEach((s: RTCStats & Record<string, unknown>) => {
      if (s.type === "outbound-rtp" && s.kind === "video") {
        found = {
          timestamp: s.timestamp,
          bytesSent: Number(s.bytesSent ?? 0),
          framesPerSecond: typeof s.framesPerSecond === "number" ? s.framesPerSecond : null,
          frameWidth: typeof s.frameWidth === "number" ? s.frameWidth : null,
          frameHeight: typeof s.frameHeight === "number" ? s.frameHeight : null,
        };
      }
    });
    return found;
  }
}

function preferCodec(transceiver: RTCRtpTransceiver, mimeType: string): void {
  // H.264 lets the server pass video through without an extra decode where it can.
  const caps = typeof RTCRtpSender.getCapabilities === "function"
    ? RTCRtpSender.getCapabilities("video")
    : null;
  if (!caps || typeof transceiver.setCodecPreferences !== "function") return;
  const preferred = caps.codecs.filter((c) => c.mimeType === mimeType);
  if (!preferred.length) return;
  const rest = caps.codecs.filter((c) => c.mimeType !== mimeType);
  try {
    transceiver.setCodecPreferences([...preferred, ...rest]);
  } catch {
    // Keep the browser's order.
  }
}

function iceGatheringComplete(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === "complete") done();
    };
    // WHIP without trickle: send the offer with the candidates gathered so far.
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener("icegatheringstatechange", check);
  });
}
