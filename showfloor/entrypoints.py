"""App factories for uvicorn: each reads the settings once, in the process that serves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from showfloor.logs import configure_logging
from showfloor.settings import load_settings

if TYPE_CHECKING:
    from litestar import Litestar


def commerce_app() -> Litestar:
    from commerce.app import create_app

    settings = load_settings()
    configure_logging(settings.log)
    return create_app(settings)


def embedded_app() -> Litestar:
    from showfloor.embedded import create_embedded_app

    settings = load_settings()
    configure_logging(settings.log)
    return create_embedded_app(settings)
