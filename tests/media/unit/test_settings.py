from __future__ import annotations

from pathlib import Path

import pytest

from media.settings import MediaSettings
from showfloor.settings import SettingsError

pytestmark = pytest.mark.unit


def test_defaults() -> None:
    settings = MediaSettings.from_env({})
    assert settings.rtmp_port == 1935
    assert settings.media_dir == Path("var/media").absolute()
    assert settings.blocking_wait == 3 * settings.target_duration


def test_reads_environment() -> None:
    settings = MediaSettings.from_env(
        {
            "SHOWFLOOR_RTMP_HOST": "0.0.0.0",  # noqa: S104
            "SHOWFLOOR_RTMP_PORT": "19350",
            "SHOWFLOOR_MEDIA_DIR": "/srv/media",
            "SHOWFLOOR_MEDIA_PART_TARGET": "0.25",
            "SHOWFLOOR_MEDIA_BLOCKING_TIMEOUT": "1.5",
        }
    )
    assert settings.rtmp_host == "0.0.0.0"  # noqa: S104
    assert settings.rtmp_port == 19350
    assert settings.media_dir == Path("/srv/media")
    assert settings.part_target == 0.25
    assert settings.blocking_wait == 1.5


@pytest.mark.parametrize(
    "env",
    [
        {"SHOWFLOOR_RTMP_PORT": "70000"},
        {"SHOWFLOOR_MEDIA_PART_TARGET": "abc"},
        {"SHOWFLOOR_MEDIA_PART_TARGET": "2"},
        {"SHOWFLOOR_MEDIA_WINDOW_SEGMENTS": "3"},
        {"SHOWFLOOR_MEDIA_MIN_SEGMENT": "0.4"},
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match="SHOWFLOOR_"):
        MediaSettings.from_env(env)
