"""``showfloor up``: commerce, edge and media in one app, with the frontend, on one URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from commerce.app import commerce_component
from edge.app import edge_component
from media.app import media_component
from media.stream_clock import ServiceStreamClock
from showfloor.home import home_component
from showfloor.web import Component, Resources, build_app

if TYPE_CHECKING:
    from litestar import Litestar

    from edge.settings import EdgeSettings
    from edge.streamclock import StreamClock
    from media.settings import MediaSettings
    from showfloor.settings import Settings


def _in_process_clock(resources: Resources) -> StreamClock:
    return ServiceStreamClock(lambda: resources.services.get("media"))


def embedded_components(
    settings: Settings, edge_settings: EdgeSettings, media_settings: MediaSettings
) -> list[Component]:
    components = [
        commerce_component(settings),
        media_component(settings, media_settings),
        edge_component(settings, edge_settings, stream_clock_factory=_in_process_clock),
    ]
    return [*components, home_component(settings, [c.name for c in components])]


def create_embedded_app(
    settings: Settings, edge_settings: EdgeSettings, media_settings: MediaSettings
) -> Litestar:
    return build_app(
        settings,
        embedded_components(settings, edge_settings, media_settings),
        app_name="embedded",
    )
