"""Offer checks and answer edits, on SDP written by Chromium and by aiortc."""

from __future__ import annotations

import pytest

from media.whip.sdp import InvalidOffer, parse_offer, with_bitrate_hints, with_public_address

pytestmark = pytest.mark.unit

# The shape of a Chromium 156 WHIP offer (sendonly video + audio, BUNDLE), trimmed.
CHROMIUM_OFFER = "\r\n".join(
    [
        "v=0",
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1",
        "a=msid-semantic: WMS",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:abcd",
        "a=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa",
        "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44"
        ":55:66:77:88:99:AA:BB:CC:DD:EE:FF",
        "a=setup:actpass",
        "a=mid:0",
        "a=sendonly",
        "a=rtcp-mux",
        "a=rtpmap:96 VP8/90000",
        "a=rtpmap:97 rtx/90000",
        "a=fmtp:97 apt=96",
        "a=rtpmap:102 H264/90000",
        "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
        "a=rtpmap:103 rtx/90000",
        "a=fmtp:103 apt=102",
        "a=ssrc-group:FID 1111 2222",
        "a=ssrc:1111 cname:x",
        "a=ssrc:2222 cname:x",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "c=IN IP4 0.0.0.0",
        "a=ice-ufrag:abcd",
        "a=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa",
        "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44"
        ":55:66:77:88:99:AA:BB:CC:DD:EE:FF",
        "a=setup:actpass",
        "a=mid:1",
        "a=sendonly",
        "a=rtpmap:111 opus/48000/2",
        "a=ssrc:3333 cname:x",
        "",
    ]
)


def test_chromium_offer() -> None:
    offer = parse_offer(CHROMIUM_OFFER)
    assert offer.has_video
    assert offer.has_audio
    video = offer.sections[0]
    assert video.codecs == ("VP8", "rtx", "H264", "rtx")
    assert video.mid == "0"
    assert offer.primary_ssrc("video") == 1111  # not the retransmission SSRC
    assert offer.primary_ssrc("audio") == 3333


@pytest.mark.parametrize(
    ("sdp", "code"),
    [
        ("", "invalid_sdp"),
        ("hello", "invalid_sdp"),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n", "invalid_sdp"),  # no media
        ("v=0\r\nthis is not sdp\r\n", "invalid_sdp"),
        (CHROMIUM_OFFER.replace("o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n", ""),
         "invalid_sdp"),
        (CHROMIUM_OFFER.replace("a=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\n", ""), "invalid_sdp"),
        (CHROMIUM_OFFER.replace("a=fingerprint:", "a=x-fingerprint:"), "invalid_sdp"),
        (CHROMIUM_OFFER.replace("a=sendonly", "a=recvonly"), "nothing_to_publish"),
        (CHROMIUM_OFFER.replace("VP8/90000", "AV1/90000").replace("H264/90000", "VP9/90000"),
         "unsupported_codec"),
        (CHROMIUM_OFFER.replace("opus/48000/2", "PCMU/8000"), "unsupported_codec"),
        ("v=0\r\n" + "a=x:" + "y" * 70_000 + "\r\n", "offer_too_large"),
    ],
)  # fmt: skip
def test_refused_offers(sdp: str, code: str) -> None:
    with pytest.raises(InvalidOffer) as caught:
        parse_offer(sdp)
    assert caught.value.code == code


def test_two_video_tracks_are_refused() -> None:
    head, _, audio = CHROMIUM_OFFER.partition("m=audio")
    video = "m=video" + head.partition("m=video")[2]
    with pytest.raises(InvalidOffer) as caught:
        parse_offer(head + video.replace("a=mid:0", "a=mid:2") + "m=audio" + audio)
    assert caught.value.code == "too_many_tracks"


def test_bitrate_hints_on_every_picture_codec_only() -> None:
    answer = with_bitrate_hints(CHROMIUM_OFFER, start=2500, minimum=1500, maximum=4000)
    lines = answer.split("\r\n")
    hints = "x-google-start-bitrate=2500;x-google-min-bitrate=1500;x-google-max-bitrate=4000"
    # VP8 had no fmtp: one is added right after its rtpmap.
    assert lines[lines.index("a=rtpmap:96 VP8/90000") + 1] == f"a=fmtp:96 {hints}"
    h264 = next(line for line in lines if line.startswith("a=fmtp:102 "))
    assert h264.endswith(";" + hints)
    assert "profile-level-id=42001f" in h264
    # Retransmission formats and audio are left alone.
    assert "a=fmtp:97 apt=96" in lines
    assert not any("x-google" in line for line in lines if line.startswith("a=fmtp:111"))
    assert sum("x-google-start-bitrate" in line for line in lines) == 2
    parse_offer(answer)  # still well-formed


def test_public_address_beside_host_candidates() -> None:
    sdp = CHROMIUM_OFFER.replace(
        "a=mid:0\r\n",
        "a=mid:0\r\na=candidate:abc 1 udp 2130706431 10.0.0.5 40000 typ host\r\n"
        "a=candidate:def 1 udp 1694498815 198.51.100.7 40000 typ srflx raddr 10.0.0.5 "
        "rport 40000\r\n",
    )
    out = with_public_address(sdp, "203.0.113.9").split("\r\n")
    index = out.index("a=candidate:abc 1 udp 2130706431 10.0.0.5 40000 typ host")
    assert out[index + 1] == "a=candidate:abcn 1 udp 2130706430 203.0.113.9 40000 typ host"
    assert sum("203.0.113.9" in line for line in out) == 1  # srflx untouched
