"""WHIP settings from the environment."""

from __future__ import annotations

import pytest

from media.settings import MediaSettings
from showfloor.settings import SettingsError

pytestmark = pytest.mark.unit


def test_defaults_are_a_single_host_deployment() -> None:
    settings = MediaSettings.from_env({})
    assert settings.whip_video_bitrate == 2500
    assert settings.whip_video_size == (1280, 720)
    assert settings.whip_ice_servers == ()  # host candidates only: no STUN lookups
    assert settings.whip_public_ip is None
    assert settings.whip_keyframe_every == settings.min_segment


def test_reads_environment() -> None:
    settings = MediaSettings.from_env(
        {
            "SHOWFLOOR_MEDIA_WHIP_VIDEO_BITRATE": "3000",
            "SHOWFLOOR_MEDIA_WHIP_VIDEO_SIZE": "1920x1080",
            "SHOWFLOOR_MEDIA_WHIP_ICE_SERVERS": "stun:stun.example.net:3478, "
            "turn:user:secret@turn.example.net:3478",
            "SHOWFLOOR_MEDIA_WHIP_PUBLIC_IP": "203.0.113.9",
            "SHOWFLOOR_MEDIA_WHIP_IDLE_TIMEOUT": "4",
            "SHOWFLOOR_MEDIA_WHIP_X264_PRESET": "superfast",
            "SHOWFLOOR_MEDIA_WHIP_KEYFRAME_INTERVAL": "2",
            "SHOWFLOOR_MEDIA_WHIP_CORS_ORIGINS": "https://studio.example",
        }
    )
    assert settings.whip_video_bitrate == 3000
    assert settings.whip_video_size == (1920, 1080)
    assert settings.whip_ice_servers == (
        "stun:stun.example.net:3478",
        "turn:user:secret@turn.example.net:3478",
    )
    assert settings.whip_public_ip == "203.0.113.9"
    assert settings.whip_idle_timeout == 4.0
    assert settings.whip_x264_preset == "superfast"
    assert settings.whip_keyframe_every == 2.0
    assert settings.whip_cors_origins == ("https://studio.example",)


@pytest.mark.parametrize(
    "env",
    [
        {"SHOWFLOOR_MEDIA_WHIP_VIDEO_SIZE": "1280x721"},
        {"SHOWFLOOR_MEDIA_WHIP_VIDEO_SIZE": "big"},
        {"SHOWFLOOR_MEDIA_WHIP_VIDEO_SIZE": "3840x2160"},  # over the maximum
        {"SHOWFLOOR_MEDIA_WHIP_PUBLIC_IP": "not-an-ip"},
        {"SHOWFLOOR_MEDIA_WHIP_ICE_SERVERS": "http://stun.example.net"},
        {"SHOWFLOOR_MEDIA_WHIP_X264_PRESET": "placebo"},
        {"SHOWFLOOR_MEDIA_WHIP_MIN_VIDEO_BITRATE": "3000"},  # above the start bitrate
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match="SHOWFLOOR_"):
        MediaSettings.from_env(env)


def test_ice_server_links() -> None:
    from media.whip.ingest import IceServer

    turn = IceServer.parse("turn:user:secret@turn.example.net:3478?transport=udp")
    assert turn == IceServer("turn:turn.example.net:3478?transport=udp", "user", "secret")
    assert turn.link() == (
        '<turn:turn.example.net:3478?transport=udp>; rel="ice-server"; username="user"; '
        'credential="secret"; credential-type="password"'
    )
    assert IceServer.parse("stun:stun.example.net").link() == (
        '<stun:stun.example.net>; rel="ice-server"'
    )
