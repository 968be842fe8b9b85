"""Best-effort work after a capture: the author's display name and the marker reaction.

One worker drains a bounded queue, so a burst of events cannot turn into a burst of concurrent Web
API calls competing with the capture path for the event loop (Slack would rate-limit
`reactions.add` long before that anyway). When the queue is full, new work is dropped: a missing
marker or name is cosmetic, a slow ack is not.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.tasks import BackgroundTasks

log = logging.getLogger(__name__)

MAX_PENDING = 2000


@dataclass(frozen=True, slots=True)
class Enrichment:
    channel_id: str
    ts: str
    author_id: str | None  # set when the display name is still unknown
    mark: str | None  # reaction to add, if any


class EnrichmentQueue:
    def __init__(self, tasks: BackgroundTasks, handle: Callable[[Enrichment], Awaitable[None]]) -> None:
        self.tasks, self.handle = tasks, handle
        self._queue: asyncio.Queue[Enrichment] = asyncio.Queue(MAX_PENDING)
        self._worker: asyncio.Task[None] | None = None
        self.dropped = 0

    def put(self, item: Enrichment) -> None:
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped += 1
            return
        if self._worker is None or self._worker.done():
            # Spawned on demand and gone when idle, so "wait until the bot is idle" terminates.
            self._worker = self.tasks.spawn(self._drain(), name="enrichment")

    async def _drain(self) -> None:
        while not self._queue.empty():
            item = self._queue.get_nowait()
            try:
                await self.handle(item)
            except Exception:
                log.warning("enrichment of %s in %s failed", item.ts, item.channel_id, exc_info=True)
