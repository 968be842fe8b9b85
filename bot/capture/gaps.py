"""Messages the event stream delivered but the database could not store.

Slack answers a failed delivery with a few retries over minutes and then gives up (Socket Mode
redelivers an unacknowledged envelope, then drops it too); the message stays in the channel's
history but below the watermark, where no later read looks. So each failure is remembered here, in
process memory (the database is what is down), as the oldest ts per channel not stored, and the
channel is read back from just before it once the database takes writes again. A process that
dies before then forgets the gap (docs/deploy.md says what the next start then reads).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from bot.capture.backfill import HistoryReader
from bot.observability.logs import outage
from bot.slack.context import ChannelRef
from bot.tasks import BackgroundTasks

log = logging.getLogger(__name__)


class _Gap:
    __slots__ = ("channel", "first", "oldest", "threads")

    def __init__(self, channel: ChannelRef, first: str) -> None:
        self.channel = channel
        self.first = first  # the oldest ts not stored since the gap opened
        self.oldest: str | None = None  # oldest ts not stored and not yet in a read under way
        self.threads: set[str] = set()

    def add(self, ts: str, threads: set[str]) -> None:
        self.first = min(self.first, ts, key=float)
        self.oldest = ts if self.oldest is None else min(self.oldest, ts, key=float)
        self.threads |= threads

    def take(self) -> tuple[str, set[str]]:
        assert self.oldest is not None
        taken = self.oldest, self.threads
        self.oldest, self.threads = None, set()
        return taken


class GapRecovery:
    # A channel's read back is tried after RETRY_SECONDS, then twice as long after each failure up
    # to MAX_RETRY_SECONDS: an outage costs no Slack call (the walk's start is a write), but a
    # message that cannot be stored for another reason would cost a history call each time.
    RETRY_SECONDS = 2.0
    MAX_RETRY_SECONDS = 60.0

    def __init__(self, reader: HistoryReader) -> None:
        self.reader = reader
        self._gaps: dict[str, _Gap] = {}
        # Its own tasks, not the bot's background work: a stop during an outage must not wait on them.
        self._tasks = BackgroundTasks()

    def pending(self, channel_id: str) -> bool:
        return channel_id in self._gaps

    def note(self, channel: ChannelRef, message: Mapping[str, Any]) -> None:
        """The message could not be stored: read the channel back from it once writes succeed."""
        thread = message.get("thread_ts")
        threads = {str(thread)} if thread and thread != message["ts"] else set()
        gap = self._gaps.get(channel.id)
        if gap is None:
            gap = self._gaps[channel.id] = _Gap(channel, str(message["ts"]))
            log.warning("a message in %s was not stored; the channel is read back once it can be", channel.id)
            self._tasks.spawn(self._recover(gap), name=f"gap {channel.id}")
        gap.add(str(message["ts"]), threads)

    async def _recover(self, gap: _Gap) -> None:
        failures = 0
        try:
            while gap.oldest is not None:
                await asyncio.sleep(min(self.RETRY_SECONDS * 2**failures, self.MAX_RETRY_SECONDS))
                since, threads = gap.take()
                try:
                    progress = await self.reader.catch_up(gap.channel, since=since, threads=threads)
                except Exception as exc:  # still down: the walk, if it began, is in the database
                    failures += 1
                    reason = outage(exc)
                    # One line per outage; anything but an outage gets its traceback, once.
                    level = logging.WARNING if failures == 1 else logging.DEBUG
                    log.log(level, "reading %s back failed (%s); retrying", gap.channel.id, reason or exc,
                            exc_info=reason is None and failures == 1)  # fmt: skip
                    progress = None
                if progress is None or not progress.done:  # failed, or another read of it is running
                    gap.add(since, threads)
                else:
                    failures = 0
                    log.info("read %s back from %s: %d stored", gap.channel.id, since, progress.stored)
        finally:
            self._gaps.pop(gap.channel.id, None)

    async def close(self) -> None:
        for gap in self._gaps.values():
            log.warning(
                "stopping before %s was read back: messages there from ts %s on may be missing",
                gap.channel.id,
                gap.first,
            )
        await self._tasks.close(timeout=0)
