"""``uvicorn --factory tests.edge.serve_app:app``: an edge worker configured from the
environment, as ``showfloor serve edge`` would start it."""

from __future__ import annotations

import os

from litestar import Litestar

from edge.app import create_app
from edge.settings import EdgeSettings
from showfloor.settings import load_settings


def app() -> Litestar:
    return create_app(load_settings(), EdgeSettings.from_env(os.environ))
