"""``showfloor up``: commerce, edge and media in one app, with the frontend, on one URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from commerce.app import commerce_component
from showfloor.home import home_component
from showfloor.web import Component, build_app

if TYPE_CHECKING:
    from litestar import Litestar

    from showfloor.settings import Settings


def embedded_components(settings: Settings) -> list[Component]:
    components = [commerce_component(settings)]
    return [*components, home_component(settings, [c.name for c in components])]


def create_embedded_app(settings: Settings) -> Litestar:
    return build_app(settings, embedded_components(settings), app_name="embedded")
