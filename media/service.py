"""``MediaService``: the media app's running state (listener, hub, packagers) and its API.

Other apps use it in-process (``resources.services["media"]``): the edge stamps highlights
with :meth:`MediaService.locate` and adds them with :meth:`MediaService.add_daterange`;
ending a show finalises its recording through :meth:`MediaService.end_show`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from media.hub import StreamHub
from media.llhls.model import PlaylistConfig
from media.llhls.packager import LivePackager, PackagerSettings
from media.llhls.recorder import Recorder, unfinished_recordings
from media.metrics import IngestStats
from media.rtmp.server import RtmpServer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from media.hub import StreamSink
    from media.llhls.model import DateRange
    from media.llhls.timeline import StreamInstant
    from media.metrics import MediaMetrics
    from media.settings import MediaSettings
    from media.showdirectory import ShowDirectory

logger = logging.getLogger("showfloor.media")


class UnknownShow(LookupError):
    pass


class MediaService:
    def __init__(
        self, settings: MediaSettings, directory: ShowDirectory, metrics: MediaMetrics
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self._directory = directory
        self._packagers: dict[int, LivePackager] = {}
        self._stats: dict[int, IngestStats] = {}
        self._packager_settings = PackagerSettings(
            config=PlaylistConfig(
                target_duration=settings.target_duration,
                part_target=settings.part_target,
                window_segments=settings.window_segments,
            ),
            min_segment=settings.min_segment,
        )
        self.hub = StreamHub(
            directory, self._sinks_for_show, on_publishers_changed=metrics.publishers_changed
        )
        self.rtmp = RtmpServer(
            self.hub,
            host=settings.rtmp_host,
            port=settings.rtmp_port,
            handshake_timeout=settings.rtmp_handshake_timeout,
            idle_timeout=settings.rtmp_idle_timeout,
            events=metrics,
        )
        self._poller: asyncio.Task[None] | None = None
        self._ending: dict[int, asyncio.Task[None]] = {}
        # Recordings a previous run left unfinished: finalised once their show has ended.
        self._unfinished: set[int] = set()

    @property
    def config(self) -> PlaylistConfig:
        return self._packager_settings.config

    @property
    def rtmp_port(self) -> int:
        return self.rtmp.port

    async def start(self) -> None:
        self.settings.media_dir.mkdir(parents=True, exist_ok=True)
        self._unfinished = await asyncio.to_thread(unfinished_recordings, self.settings.media_dir)
        await self.rtmp.start()
        self._poller = asyncio.create_task(self._poll_ended_shows(), name="media-show-poller")

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        # Closing the listener drops the publishers; their muxers flush the last segments.
        await self.rtmp.close()
        for task in list(self._ending.values()):
            with contextlib.suppress(Exception):
                await task
        for packager in self._packagers.values():
            await packager.flush()

    # -- packagers ------------------------------------------------------------------------

    def _sinks_for_show(self, show_id: int) -> Sequence[StreamSink]:
        stats = self._stats.setdefault(show_id, IngestStats(show_id, self.metrics))
        return (self._packager_for(show_id), stats)

    def _packager_for(self, show_id: int) -> LivePackager:
        packager = self._packagers.get(show_id)
        if packager is None:
            packager = LivePackager(
                show_id,
                self._packager_settings,
                self.recorder(show_id),
                events=self.metrics,
                on_stalled=self._drop_publisher,
            )
            self._packagers[show_id] = packager
        return packager

    def _drop_publisher(self, show_id: int) -> None:
        stream = self.hub.stream(show_id)
        if stream is not None and stream.publisher is not None:
            stream.publisher.disconnect()

    def packager(self, show_id: int) -> LivePackager | None:
        """The live packager of a show this process has streamed (None otherwise)."""
        return self._packagers.get(show_id)

    def recorder(self, show_id: int) -> Recorder:
        return Recorder(self.settings.media_dir, show_id)

    # -- the API for other apps -----------------------------------------------------------

    def add_daterange(self, show_id: int, daterange: DateRange) -> None:
        """Add an ``EXT-X-DATERANGE`` to the show's live playlist and its recording.

        Raises :class:`UnknownShow` when the show has no stream in this process, and
        ``ValueError`` for an ID already used with other attributes.
        """
        packager = self._packagers.get(show_id)
        if packager is None or packager.ended:
            raise UnknownShow(f"show {show_id} has no live stream here")
        packager.add_daterange(daterange)

    def locate(self, show_id: int, instant: datetime) -> StreamInstant | None:
        """The program-date-time of the frame that arrived (or was captured) at ``instant``.

        None when the show has no stream here or no frame yet.
        """
        packager = self._packagers.get(show_id)
        if packager is None:
            return None
        if instant.tzinfo is None:
            raise ValueError("instant must be timezone-aware")
        return packager.locate(instant.astimezone(UTC).timestamp())

    async def end_show(self, show_id: int) -> None:
        """Stop ingest for the show and finalise its recording (VOD playlist). Idempotent."""
        task = self._ending.get(show_id)
        if task is None:
            task = asyncio.create_task(self._end_show(show_id), name=f"end-show-{show_id}")
            self._ending[show_id] = task
        await asyncio.shield(task)

    async def _end_show(self, show_id: int) -> None:
        await self.hub.end_stream(show_id)
        packager = self._packagers.get(show_id)
        if packager is None:
            recorder = self.recorder(show_id)
            if not recorder.directory.exists():
                return
            packager = self._packager_for(show_id)
        await packager.end()
        self.metrics.forget_show(show_id)
        logger.info("show_recording_finalised", extra={"show_id": show_id})

    def vod_playlist(self, show_id: int) -> bytes | None:
        return self.recorder(show_id).read_vod()

    async def _poll_ended_shows(self) -> None:
        while True:
            await asyncio.sleep(self.settings.show_poll_interval)
            live = set(self.hub.live_show_ids()) | self._unfinished
            if not live:
                continue
            try:
                ended = await self._directory.ended_shows(live)
            except Exception:
                logger.exception("ended_shows_poll_failed")
                continue
            for show_id in ended:
                self._unfinished.discard(show_id)
                try:
                    await self.end_show(show_id)
                except Exception:
                    logger.exception("end_show_failed", extra={"show_id": show_id})
