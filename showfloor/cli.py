"""The ``showfloor`` command: run the apps, migrate the database, manage users."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from showfloor.settings import Settings

APPS = {
    "commerce": ("showfloor.entrypoints:commerce_app", 8081),
    "edge": ("showfloor.entrypoints:edge_app", 8082),
    "media": ("showfloor.entrypoints:media_app", 8083),
}


def _fail(message: str, code: int = 2) -> int:
    sys.stderr.write(f"showfloor: {message}\n")
    return code


def _settings_or_exit() -> Settings:
    from showfloor.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        raise SystemExit(_fail(str(exc))) from None


def _run_uvicorn(factory: str, *, host: str, port: int, workers: int) -> int:
    import uvicorn

    os.environ["SHOWFLOOR_HOST"] = host
    os.environ["SHOWFLOOR_PORT"] = str(port)
    settings = _settings_or_exit()
    if workers > 1:
        # Every worker writes its samples here; a scrape of any worker sums them all.
        metrics_dir = settings.var_dir / "prometheus" / factory.rsplit(":", 1)[1]
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        server_header=False,
        timeout_graceful_shutdown=10,
        # Edge's channels: the sans-I/O websockets implementation costs the least per connection,
        # and per-message deflate would spend a core compressing the same broadcast per viewer.
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=1024 * 1024,
    )
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from showfloor.logs import configure_logging
    from showfloor.migrate import upgrade

    settings = _settings_or_exit()
    configure_logging(settings.log)
    host = args.host or settings.http.host
    port = args.port or settings.http.port
    if not args.no_migrate:
        upgrade(settings.database_url)
    sys.stderr.write(f"showfloor: serving everything on http://{host}:{port}/\n")
    return _run_uvicorn("showfloor.entrypoints:embedded_app", host=host, port=port, workers=1)


def cmd_serve(args: argparse.Namespace) -> int:
    factory, default_port = APPS[args.app]
    if args.app == "media" and args.workers != 1:
        return _fail("media keeps each live show's ingest in one process: use --workers 1.")
    return _run_uvicorn(
        factory, host=args.host, port=args.port or default_port, workers=args.workers
    )


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from showfloor.migrate import upgrade

    settings = _settings_or_exit()
    upgrade(settings.database_url, args.revision)
    sys.stderr.write(f"showfloor: database at {args.revision} ({settings.database_kind})\n")
    return 0


def cmd_db_downgrade(args: argparse.Namespace) -> int:
    from showfloor.migrate import downgrade

    settings = _settings_or_exit()
    downgrade(settings.database_url, args.revision)
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise SystemExit(_fail("no terminal to ask for a password: use --password-stdin."))
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat it: "):
        raise SystemExit(_fail("the two passwords differ."))
    return first


def cmd_user_create(args: argparse.Namespace) -> int:
    from commerce.admin import create_user
    from commerce.domain.errors import DomainError

    settings = _settings_or_exit()
    password = _read_password(args)
    try:
        user = asyncio.run(
            create_user(settings, email=args.email, password=password,
                        display_name=args.display_name or args.email.split("@")[0],
                        role=args.role)
        )
    except DomainError as exc:
        hint = " Use 'showfloor user set-role' to change its role." if exc.code == "email_taken" \
            else ""
        return _fail(exc.detail + hint)
    sys.stdout.write(f"created user {user.id} <{user.email}> with role {user.role.value}\n")
    return 0


def cmd_user_set_role(args: argparse.Namespace) -> int:
    from commerce.admin import set_user_role
    from commerce.domain.errors import DomainError

    settings = _settings_or_exit()
    try:
        user = asyncio.run(set_user_role(settings, email=args.email, role=args.role))
    except DomainError as exc:
        return _fail(exc.detail)
    sys.stdout.write(
        f"user {user.id} <{user.email}> now has role {user.role.value}; "
        "it applies from their next login or token refresh\n"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="showfloor",
        description="Self-hosted live shopping: run the apps, migrate, manage users. "
        "Settings come from SHOWFLOOR_* environment variables (see the README).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = sub.add_parser("up", help="serve everything in one process (embedded mode)",
                        description="Migrate the database, then serve commerce, edge, media and "
                        "the frontend on one URL.")
    up.add_argument("--host", help="address to listen on (default: SHOWFLOOR_HOST or 127.0.0.1)")
    up.add_argument("--port", type=int, help="port (default: SHOWFLOOR_PORT or 8080)")
    up.add_argument("--no-migrate", action="store_true", help="do not run migrations first")
    up.set_defaults(func=cmd_up)

    serve = sub.add_parser("serve", help="serve one app (production)",
                           description="Serve one app with uvicorn, for use behind nginx.")
    serve.add_argument("app", choices=sorted(APPS), help="which app")
    serve.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (commerce 8081, edge 8082, media 8083)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True, metavar="ACTION")
    db_up = db.add_parser("upgrade", help="apply migrations (idempotent)")
    db_up.add_argument("--revision", default="head", help="target revision (default head)")
    db_up.set_defaults(func=cmd_db_upgrade)
    db_down = db.add_parser("downgrade", help="revert migrations down to a revision")
    db_down.add_argument("revision", help="target revision, e.g. base or -1")
    db_down.set_defaults(func=cmd_db_downgrade)

    user = sub.add_parser("user", help="manage accounts").add_subparsers(
        dest="user_command", required=True, metavar="ACTION")
    create = user.add_parser("create", help="create an account")
    create.add_argument("--email", required=True)
    create.add_argument("--role", choices=["viewer", "host", "admin"], default="viewer")
    create.add_argument("--display-name")
    create.add_argument("--password-stdin", action="store_true",
                        help="read the password from standard input instead of prompting")
    create.set_defaults(func=cmd_user_create)
    set_role = user.add_parser("set-role", help="change an account's role (e.g. promote a host)")
    set_role.add_argument("--email", required=True)
    set_role.add_argument("--role", choices=["viewer", "host", "admin"], required=True)
    set_role.set_defaults(func=cmd_user_set_role)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("up", "serve") and not Path.cwd().exists():
        return _fail("the current directory no longer exists.")
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
