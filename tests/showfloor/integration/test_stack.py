"""The three apps joined, as users run them: ``showfloor up`` (SQLite, in-process backends) and
``showfloor serve commerce|edge|media`` as separate processes on PostgreSQL and Redis, with edge
reaching media over its internal HTTP endpoints (the story: tests/support/stack.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support.services import fresh_postgres_database
from tests.support.stack import FFMPEG, Stack, embedded_stack, shopping_story, split_stack

pytestmark = pytest.mark.skipif(FFMPEG is None, reason="needs Debian's ffmpeg CLI")


@pytest.fixture(params=["embedded", "split"])
async def stack(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stack]:
    if request.param == "embedded":
        with embedded_stack(tmp_path) as running:
            yield running
        return
    async with fresh_postgres_database("sf_stack") as url:
        with split_stack(tmp_path, url) as running:
            yield running


async def test_hold_stream_highlight_and_recording_across_the_apps(stack: Stack) -> None:
    await shopping_story(stack)
    # Media's clock endpoints answer only the other apps (a bearer derived from the secret).
    async with httpx.AsyncClient(base_url=stack.media) as http:
        refused = await http.get("/internal/v1/shows/1/clock",
                                 params={"at": "2026-01-01T00:00:00+00:00"})
        assert (refused.status_code, refused.json()["code"]) == (401, "not_internal_caller")
