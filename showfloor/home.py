"""``/`` in the embedded mode: the built frontend, or a page saying what runs and what next."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from litestar import MediaType, Response, get
from litestar.static_files import create_static_files_router

from showfloor.web import Component

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from showfloor.settings import Settings

_TEMPLATE = Path(__file__).parent / "templates" / "home.html"


def _status_page(settings: Settings, components: list[str]) -> str:
    items = "\n".join(f"<li><strong>{html.escape(c)}</strong></li>" for c in components)
    return (
        _TEMPLATE.read_text()
        .replace("{{components}}", items)
        .replace("{{public_url}}", html.escape(settings.http.public_url))
        .replace("{{database}}", html.escape(settings.database_kind))
        .replace("{{backends}}", "Redis" if settings.uses_redis else "in-process")
    )


def home_component(settings: Settings, components: list[str]) -> Component:
    dist = settings.frontend_dir
    handlers: list[ControllerRouterHandler] = []
    if dist is not None and (dist / "index.html").is_file():
        index = (dist / "index.html").read_bytes()
        handlers.append(
            create_static_files_router(
                path="/assets", directories=[dist / "assets"], include_in_schema=False,
                cache_control=None,
            )
        )

        # Client-side routes (/s/{id}, /studio, ...) all load the single-page app.
        @get(["/", "/s/{rest:path}", "/studio", "/studio/{rest:path}", "/login"],
             include_in_schema=False, sync_to_thread=False)
        def spa() -> Response[bytes]:
            return Response(index, media_type=MediaType.HTML,
                            headers={"Cache-Control": "no-cache"})

        handlers.append(spa)
    else:
        page = _status_page(settings, components)

        @get("/", include_in_schema=False, sync_to_thread=False)
        def status_page() -> Response[str]:
            return Response(page, media_type=MediaType.HTML)

        handlers.append(status_page)
    return Component(name="home", route_handlers=handlers)
