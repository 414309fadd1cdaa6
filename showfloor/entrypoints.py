"""App factories for uvicorn: each reads the settings once, in the process that serves."""

from __future__ import annotations

import os
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


def edge_app() -> Litestar:
    from edge.app import create_app
    from edge.settings import EdgeSettings

    settings = load_settings()
    configure_logging(settings.log)
    return create_app(settings, EdgeSettings.from_env(os.environ))


def media_app() -> Litestar:
    from media.app import create_app
    from media.settings import MediaSettings

    settings = load_settings()
    configure_logging(settings.log)
    return create_app(settings, MediaSettings.from_env(os.environ, var_dir=settings.var_dir))


def embedded_app() -> Litestar:
    from edge.settings import EdgeSettings
    from media.settings import MediaSettings
    from showfloor.embedded import create_embedded_app

    settings = load_settings()
    configure_logging(settings.log)
    return create_embedded_app(
        settings,
        EdgeSettings.from_env(os.environ),
        MediaSettings.from_env(os.environ, var_dir=settings.var_dir),
    )
