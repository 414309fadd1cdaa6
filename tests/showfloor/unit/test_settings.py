from __future__ import annotations

from pathlib import Path

import pytest

from showfloor.settings import SettingsError, load_settings

pytestmark = pytest.mark.unit


def test_defaults_are_the_embedded_mode(tmp_path: Path) -> None:
    settings = load_settings({"SHOWFLOOR_VAR_DIR": str(tmp_path)})
    assert settings.database_kind == "sqlite"
    assert settings.database_url.endswith(str(tmp_path / "showfloor.sqlite3"))
    assert settings.redis_url is None
    assert settings.http.port == 8080
    assert settings.http.public_url == "http://127.0.0.1:8080"


def test_jwt_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings({"SHOWFLOOR_VAR_DIR": str(tmp_path)}).auth.jwt_secret
    second = load_settings({"SHOWFLOOR_VAR_DIR": str(tmp_path)}).auth.jwt_secret
    assert first == second
    assert len(first) >= 32
    secret_file = tmp_path / "secrets" / "jwt_secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600


def test_production_urls_switch_backends(tmp_path: Path) -> None:
    settings = load_settings({
        "SHOWFLOOR_VAR_DIR": str(tmp_path),
        "SHOWFLOOR_DATABASE_URL": "postgresql+asyncpg://app@db/showfloor",
        "SHOWFLOOR_REDIS_URL": "redis://cache:6379/0",
        "SHOWFLOOR_JWT_SECRET": "s" * 40,
    })
    assert settings.database_kind == "postgresql"
    assert settings.uses_redis
    assert settings.auth.jwt_secret == "s" * 40


def test_file_values_are_overridden_by_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "showfloor.toml"
    config.write_text('port = 9000\nlog_level = "debug"\ncors_origins = ["https://a.example"]\n')
    settings = load_settings({
        "SHOWFLOOR_VAR_DIR": str(tmp_path),
        "SHOWFLOOR_CONFIG_FILE": str(config),
        "SHOWFLOOR_PORT": "9100",
    })
    assert settings.http.port == 9100
    assert settings.log.level == "DEBUG"
    assert settings.http.cors_origins == ("https://a.example",)


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("SHOWFLOOR_PORT", "eighty", "SHOWFLOOR_PORT"),
        ("SHOWFLOOR_PORT", "70000", "port number"),
        ("SHOWFLOOR_DATABASE_URL", "mysql://x", "postgresql\\+asyncpg"),
        ("SHOWFLOOR_REDIS_URL", "http://x", "redis://"),
        ("SHOWFLOOR_JWT_SECRET", "short", "32 characters"),
        ("SHOWFLOOR_LOG_FORMAT", "xml", "json"),
        ("SHOWFLOOR_ACCESS_TOKEN_TTL_SECONDS", "-1", "positive"),
    ],
)
def test_bad_values_name_the_variable_and_the_fix(
    tmp_path: Path, name: str, value: str, words: str
) -> None:
    with pytest.raises(SettingsError, match=words):
        load_settings({"SHOWFLOOR_VAR_DIR": str(tmp_path), name: value})


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings({"SHOWFLOOR_VAR_DIR": str(tmp_path),
                       "SHOWFLOOR_CONFIG_FILE": str(tmp_path / "nope.toml")})
