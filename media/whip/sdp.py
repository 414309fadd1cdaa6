"""SDP checks on a WHIP offer, and the edits made to the answer. Pure text handling, no I/O.

aiortc raises a mix of exceptions (or none) on SDP it cannot use, so an offer is checked here
first: what a publisher sends must be an offer (RFC 8866 syntax) with ICE credentials, a DTLS
fingerprint, and at least one sending audio or video section whose codecs can be decoded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_OFFER_BYTES = 64 * 1024
VIDEO_CODECS = ("H264", "VP8")
AUDIO_CODECS = ("opus",)
_SENDING = ("sendonly", "sendrecv")
_LINE = re.compile(r"^[a-z]=.*$")
_RTPMAP = re.compile(r"^a=rtpmap:(\d{1,3}) ([A-Za-z0-9_.-]+)/(\d+)")
_FMTP = re.compile(r"^a=fmtp:(\d{1,3}) (.*)$")
_CANDIDATE = re.compile(
    r"^a=candidate:(\S+) (\d+) (udp|UDP) (\d+) (\S+) (\d+) typ host(.*)$"
)
_ICE_CHARS = re.compile(r"^[A-Za-z0-9+/]{1,256}$")
_FINGERPRINT = re.compile(r"^[a-zA-Z0-9-]{3,10} ([0-9A-Fa-f]{2}:){15,63}[0-9A-Fa-f]{2}$")
# Payload formats that carry no picture of their own.
_NOT_MEDIA = {"rtx", "red", "ulpfec", "flexfec-03"}


class InvalidOffer(ValueError):
    """The offer cannot be used; ``code`` says why (for the problem response)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class OfferedSection:
    kind: str  # "audio" or "video"
    mid: str | None
    direction: str
    codecs: tuple[str, ...]  # encoding names, as written (upper/lower case kept)
    ssrcs: tuple[int, ...]  # primary SSRCs (not retransmission ones), in order


@dataclass(frozen=True, slots=True)
class Offer:
    sections: tuple[OfferedSection, ...] = field(default_factory=tuple)

    @property
    def has_video(self) -> bool:
        return any(s.kind == "video" for s in self.sections)

    @property
    def has_audio(self) -> bool:
        return any(s.kind == "audio" for s in self.sections)

    def primary_ssrc(self, kind: str) -> int | None:
        for section in self.sections:
            if section.kind == kind and section.ssrcs:
                return section.ssrcs[0]
        return None


def _lines(sdp: str) -> list[str]:
    return [line for line in sdp.replace("\r\n", "\n").split("\n") if line]


def parse_offer(sdp: str) -> Offer:
    """Check a WHIP offer; raises :class:`InvalidOffer`."""
    if len(sdp.encode()) > MAX_OFFER_BYTES:
        raise InvalidOffer("offer_too_large", f"The SDP offer exceeds {MAX_OFFER_BYTES} bytes.")
    lines = _lines(sdp)
    if not lines or lines[0] != "v=0":
        raise InvalidOffer("invalid_sdp", "The body is not an SDP offer (it must start v=0).")
    for number, line in enumerate(lines, 1):
        if not _LINE.match(line):
            raise InvalidOffer("invalid_sdp", f"SDP line {number} is not of the form x=value.")
    if not any(line.startswith("o=") for line in lines):
        raise InvalidOffer("invalid_sdp", "The SDP offer has no o= line.")

    session: list[str] = []
    blocks: list[list[str]] = []
    for line in lines:
        if line.startswith("m="):
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line)
        else:
            session.append(line)
    if not blocks:
        raise InvalidOffer("invalid_sdp", "The SDP offer has no media section.")

    sections = [
        section
        for block in blocks
        if (section := _section(block, session)) is not None
    ]
    _check_sections(sections)
    return Offer(sections=tuple(sections))


def _attribute(block: list[str], session: list[str], name: str) -> str | None:
    for line in (*block, *session):
        if line.startswith(f"a={name}:"):
            return line.split(":", 1)[1].strip()
    return None


def _section(block: list[str], session: list[str]) -> OfferedSection | None:
    """One media section; None for sections that send nothing to ingest."""
    parts = block[0][2:].split()
    if len(parts) < 4:
        raise InvalidOffer("invalid_sdp", f"Malformed media line {block[0]!r}.")
    kind, port = parts[0], parts[1]
    if kind not in ("audio", "video") or port == "0":
        return None  # data channels and rejected sections are not media to ingest
    directions = ("sendonly", "sendrecv", "recvonly", "inactive")
    direction = next((line[2:] for line in block if line[2:] in directions), "sendrecv")
    if direction not in _SENDING:
        return None
    ufrag = _attribute(block, session, "ice-ufrag")
    pwd = _attribute(block, session, "ice-pwd")
    # RFC 8839 5.4: 4 and 22 to 256 ice-chars.
    if ufrag is None or pwd is None or not (
        _ICE_CHARS.match(ufrag) and _ICE_CHARS.match(pwd) and len(ufrag) >= 4 and len(pwd) >= 22
    ):
        raise InvalidOffer("invalid_sdp", f"The {kind} section has no valid ICE credentials.")
    fingerprint = _attribute(block, session, "fingerprint")
    if fingerprint is None or _FINGERPRINT.match(fingerprint) is None:
        raise InvalidOffer("invalid_sdp", f"The {kind} section has no valid DTLS fingerprint.")
    if _attribute(block, session, "setup") not in ("actpass", "active", "passive"):
        raise InvalidOffer(
            "invalid_sdp", f"The {kind} section needs a=setup:actpass, active or passive."
        )
    codecs = tuple(m.group(2) for line in block if (m := _RTPMAP.match(line)) is not None)
    return OfferedSection(
        kind=kind,
        mid=_attribute(block, [], "mid"),
        direction=direction,
        codecs=codecs,
        ssrcs=_primary_ssrcs(block),
    )


def _check_sections(sections: list[OfferedSection]) -> None:
    if not sections:
        raise InvalidOffer(
            "nothing_to_publish", "The SDP offer sends no audio or video (sendonly/sendrecv)."
        )
    for kind in ("audio", "video"):
        if sum(1 for s in sections if s.kind == kind) > 1:
            raise InvalidOffer("too_many_tracks", "Publish at most one video and one audio track.")
    for section in sections:
        wanted = VIDEO_CODECS if section.kind == "video" else AUDIO_CODECS
        names = {codec.lower() for codec in section.codecs}
        if not names & {codec.lower() for codec in wanted}:
            raise InvalidOffer(
                "unsupported_codec",
                f"The {section.kind} section offers {', '.join(section.codecs) or 'no codec'};"
                f" publish {' or '.join(wanted)}.",
            )


def _primary_ssrcs(block: list[str]) -> tuple[int, ...]:
    retransmission: set[int] = set()
    for line in block:
        if line.startswith("a=ssrc-group:FID "):
            ids = line.split()[1:]
            retransmission.update(int(i) for i in ids[1:] if i.isdigit())
    found: list[int] = []
    for line in block:
        if line.startswith("a=ssrc:"):
            head = line[len("a=ssrc:") :].split(" ", 1)[0]
            if head.isdigit():
                ssrc = int(head)
                if ssrc not in retransmission and ssrc not in found:
                    found.append(ssrc)
    return tuple(found)


def with_bitrate_hints(sdp: str, *, start: int, minimum: int, maximum: int) -> str:
    """Add Chromium's ``x-google-{start,min,max}-bitrate`` (kbit/s) to the video codecs.

    Without them Chromium starts its estimate at 300 kbit/s and picks its resolution from that
    before the receiver's first REMB can raise it (``b=AS`` and ``b=TIAS`` only cap). Other
    browsers ignore unknown format parameters (RFC 8866 6.15).
    """
    hints = (
        f"x-google-start-bitrate={start};x-google-min-bitrate={minimum};"
        f"x-google-max-bitrate={maximum}"
    )
    out: list[str] = []
    in_video = False
    video_payloads: set[str] = set()
    with_fmtp: set[str] = set()
    lines = _lines(sdp)
    # First pass: which payload types of video sections carry pictures, and which have fmtp.
    for line in lines:
        if line.startswith("m="):
            in_video = line.startswith("m=video")
        elif in_video and (m := _RTPMAP.match(line)) and m.group(2).lower() not in _NOT_MEDIA:
            video_payloads.add(m.group(1))
        elif in_video and (f := _FMTP.match(line)) and f.group(1) in video_payloads:
            with_fmtp.add(f.group(1))
    in_video = False
    for line in lines:
        if line.startswith("m="):
            in_video = line.startswith("m=video")
        fmtp = _FMTP.match(line) if in_video else None
        if fmtp is not None and fmtp.group(1) in video_payloads:
            out.append(f"{line};{hints}")
            continue
        out.append(line)
        rtpmap = _RTPMAP.match(line) if in_video else None
        if rtpmap is not None and rtpmap.group(1) in video_payloads - with_fmtp:
            out.append(f"a=fmtp:{rtpmap.group(1)} {hints}")
    return "\r\n".join(out) + "\r\n"


def with_public_address(sdp: str, public_ip: str) -> str:
    """Announce ``public_ip`` beside each UDP host candidate, on the same port.

    Behind a 1:1 NAT (a cloud VM's elastic address) the host candidates name the private
    address; the same socket is reachable on the public one, so the copy is a host candidate
    too (RFC 8445 5.1.1.1), with a lower priority so the private one wins on a LAN.
    """
    out: list[str] = []
    for line in _lines(sdp):
        out.append(line)
        match = _CANDIDATE.match(line)
        if match is None or match.group(5) == public_ip:
            continue
        foundation, component, transport, priority, _, port, rest = match.groups()
        out.append(
            f"a=candidate:{foundation[:31]}n {component} {transport} {max(int(priority) - 1, 1)} "
            f"{public_ip} {port} typ host{rest}"
        )
    return "\r\n".join(out) + "\r\n"
