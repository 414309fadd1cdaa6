"""Typed settings, read once from ``SHOWFLOOR_*`` environment variables and an optional file.

``load_settings()`` is called at the entry point and the result is passed down; nothing reads the
environment after that. Defaults are the embedded ones: SQLite under ``./var/`` and in-process
backends. Setting ``SHOWFLOOR_DATABASE_URL`` to a ``postgresql+asyncpg://`` URL and
``SHOWFLOOR_REDIS_URL`` to a ``redis://`` URL switches to the production backends.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

PREFIX = "SHOWFLOOR_"
_T = TypeVar("_T")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable and the fix."""


@dataclass(frozen=True, slots=True)
class AuthSettings:
    jwt_secret: str
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    login_attempts_per_account: int = 10
    login_attempts_per_ip: int = 50
    login_window_seconds: int = 300


@dataclass(frozen=True, slots=True)
class SaleLimitSettings:
    """Abuse limits of a sale: attempts (holds, queue joins, raffle entries, each counted apart)
    per user and per client address within ``window_seconds``."""

    attempts_per_user: int = 20
    # Generous: at a drop, thousands of viewers behind one carrier NAT click at once.
    attempts_per_ip: int = 1000
    window_seconds: int = 10


@dataclass(frozen=True, slots=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = "http://127.0.0.1:8080"
    # Origins allowed to call the APIs from a browser (CORS); "*" only for development.
    cors_origins: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LogSettings:
    level: str = "INFO"
    format: Literal["auto", "json", "console"] = "auto"


@dataclass(frozen=True, slots=True)
class Settings:
    var_dir: Path
    database_url: str
    redis_url: str | None
    redis_prefix: str
    auth: AuthSettings
    http: HttpSettings = field(default_factory=HttpSettings)
    log: LogSettings = field(default_factory=LogSettings)
    frontend_dir: Path | None = None
    sale_limits: SaleLimitSettings = field(default_factory=SaleLimitSettings)
    # With Redis Sentinel: the Sentinels ("host:port") and the name of the monitored primary;
    # ``redis_url`` then only gives the password and database number.
    redis_sentinels: tuple[tuple[str, int], ...] = ()
    redis_sentinel_master: str = "showfloor"

    @property
    def uses_redis(self) -> bool:
        return self.redis_url is not None

    @property
    def database_kind(self) -> Literal["sqlite", "postgresql"]:
        return "postgresql" if self.database_url.startswith("postgresql") else "sqlite"


class EnvReader:
    """``get(key, default, parse)``: ``SHOWFLOOR_<key>`` from an environment, parsed, or the
    default when unset or empty; a value ``parse`` refuses is a SettingsError naming it."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def __call__(self, key: str, default: _T, parse: Callable[[str], _T]) -> _T:
        raw = self._env.get(PREFIX + key, "")
        if raw == "":
            return default
        try:
            return parse(raw)
        except ValueError as exc:
            raise SettingsError(
                f"{PREFIX}{key}={raw!r} is not valid: {exc}. "
                f"Unset it to use the default ({default!r})."
            ) from None


class _Source:
    """Looks a key up in the environment first, then in the settings file."""

    def __init__(self, env: Mapping[str, str], file_values: Mapping[str, object]) -> None:
        self._env = env
        self._file = file_values

    def raw(self, key: str) -> str | None:
        env_key = PREFIX + key.upper()
        if env_key in self._env:
            return self._env[env_key]
        value = self._file.get(key.lower())
        if value is None:
            return None
        if isinstance(value, list):
            return ",".join(str(v) for v in value)
        return str(value)

    def get(self, key: str, default: _T, parse: Callable[[str], _T]) -> _T:
        raw = self.raw(key)
        if raw is None or raw == "":
            return default
        try:
            return parse(raw)
        except ValueError as exc:
            raise SettingsError(
                f"{PREFIX}{key.upper()}={raw!r} is not valid: {exc}. "
                f"Unset it to use the default ({default!r})."
            ) from None


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("expected a positive integer")
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 65535:
        raise ValueError("expected a port number between 0 and 65535")
    return value


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _addresses(raw: str) -> tuple[tuple[str, int], ...]:
    found = []
    for item in _csv(raw):
        host, sep, port = item.rpartition(":")
        if not sep or not host:
            raise ValueError(f"{item!r} is not host:port")
        found.append((host.strip("[]"), _port(port)))
    return tuple(found)


def _log_format(raw: str) -> Literal["auto", "json", "console"]:
    if raw == "auto":
        return "auto"
    if raw == "json":
        return "json"
    if raw == "console":
        return "console"
    raise ValueError("expected one of auto, json, console")


def _database_url(raw: str) -> str:
    if raw.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return raw
    raise ValueError("expected a postgresql+asyncpg:// or sqlite+aiosqlite:// URL")


def _redis_url(raw: str) -> str:
    if raw.startswith(("redis://", "rediss://", "unix://")):
        return raw
    raise ValueError("expected a redis://, rediss:// or unix:// URL")


def _read_file(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise SettingsError(
            f"{PREFIX}CONFIG_FILE points to {path}, which does not exist."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from None
    return {str(k).lower(): v for k, v in data.items()}


def ensure_secret(path: Path) -> str:
    """Return the secret stored at ``path``, generating it once (mode 0600) when absent."""
    if path.exists():
        secret = path.read_text().strip()
        if secret:
            return secret
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret + "\n")
    return secret


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from the environment (and ``SHOWFLOOR_CONFIG_FILE``, a TOML file)."""
    env = dict(os.environ if env is None else env)
    config_file = env.get(PREFIX + "CONFIG_FILE")
    file_values = _read_file(Path(config_file)) if config_file else {}
    src = _Source(env, file_values)

    var_dir = Path(src.get("var_dir", "var", str)).absolute()
    default_db = f"sqlite+aiosqlite:///{var_dir / 'showfloor.sqlite3'}"
    database_url = src.get("database_url", default_db, _database_url)
    redis_url = src.get("redis_url", None, _redis_url)
    no_sentinels: tuple[tuple[str, int], ...] = ()
    sentinels = src.get("redis_sentinels", no_sentinels, _addresses)
    if sentinels and redis_url is None:
        raise SettingsError(
            f"{PREFIX}REDIS_SENTINELS needs {PREFIX}REDIS_URL too (for the password and "
            "database number; its host is not used)."
        )

    jwt_secret = src.raw("jwt_secret") or ensure_secret(var_dir / "secrets" / "jwt_secret")
    if len(jwt_secret) < 32:
        raise SettingsError(f"{PREFIX}JWT_SECRET must be at least 32 characters long.")

    auth = AuthSettings(
        jwt_secret=jwt_secret,
        access_token_ttl_seconds=src.get("access_token_ttl_seconds", 900, _positive_int),
        refresh_token_ttl_seconds=src.get(
            "refresh_token_ttl_seconds", 30 * 24 * 3600, _positive_int
        ),
        login_attempts_per_account=src.get("login_attempts_per_account", 10, _positive_int),
        login_attempts_per_ip=src.get("login_attempts_per_ip", 50, _positive_int),
        login_window_seconds=src.get("login_window_seconds", 300, _positive_int),
    )
    host = src.get("host", "127.0.0.1", str)
    port = src.get("port", 8080, _port)
    http = HttpSettings(
        host=host,
        port=port,
        public_url=src.get("public_url", f"http://{host}:{port}", str).rstrip("/"),
        cors_origins=src.get("cors_origins", (), _csv),
    )
    log = LogSettings(
        level=src.get("log_level", "INFO", str).upper(),
        format=src.get("log_format", "auto", _log_format),
    )
    sale_limits = SaleLimitSettings(
        attempts_per_user=src.get("sale_attempts_per_user", 20, _positive_int),
        attempts_per_ip=src.get("sale_attempts_per_ip", 1000, _positive_int),
        window_seconds=src.get("sale_attempts_window_seconds", 10, _positive_int),
    )
    frontend_raw = src.raw("frontend_dir")
    frontend_dir = Path(frontend_raw) if frontend_raw else Path("frontend/dist").absolute()
    return Settings(
        var_dir=var_dir,
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=src.get("redis_prefix", "sf:", str),
        redis_sentinels=sentinels,
        redis_sentinel_master=src.get("redis_sentinel_master", "showfloor", str),
        auth=auth,
        http=http,
        log=log,
        frontend_dir=frontend_dir,
        sale_limits=sale_limits,
    )
