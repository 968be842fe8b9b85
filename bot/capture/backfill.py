"""Reading channel history economically, and catching up after downtime.

A read starts after the channel's watermark (the newest message seen live or read back) and never
from the start again. It is a walk of one Web API call per step, kept in the database (query,
cursor, threads still to read), so it resumes where it stopped after a restart. Apps under Slack's
2025 history limit get 15 messages a page and one conversations.history/replies call a minute: the
walk notices the capped page (or the 429) and paces itself in the background, and a draft waits
for it only as long as its own budget allows.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot.slack.context import ChannelRef
from bot.slack.gateway import Page, RateLimited, SlackGateway
from bot.tasks import BackgroundTasks
from storage import history as history_store
from storage import incidents as incident_store
from storage.db import Database

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

# conversations.history answers up to 999 a page, conversations.replies up to 1000.
HISTORY_LIMIT = 999
REPLIES_LIMIT = 1000
# Slack's limit for apps outside the Marketplace (2025): 15 messages a page, 1 call a minute per method.
PACED_LIMIT = 15
PACED_INTERVAL = 60.0

Store = Callable[[ChannelRef, list[Mapping[str, Any]]], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Progress:
    done: bool
    stored: int  # messages this request stored
    calls: int  # Web API calls this request made


class _OutOfTime(Exception):
    pass


def just_before(ts: str) -> str:
    """The `oldest` whose read includes the message at `ts` (Slack's `oldest` is exclusive)."""
    micros = int(Decimal(ts) * 1_000_000) - 1
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


class Pacer:
    """When conversations.history / conversations.replies may next be called. Slack counts calls per
    method and app, not per channel, so every walk in the process shares one pacer."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.clock, self.sleep = clock, sleep
        self.paced = False
        self._next_at: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def call(self, method: str, call: Callable[[], Awaitable[Page]], deadline: float | None) -> Page:
        """Wait for the method's turn (not past `deadline`), call it once; RateLimited on 429."""
        async with self._locks.setdefault(method, asyncio.Lock()):
            wait = max(0.0, self._next_at.get(method, 0.0) - self.clock())
            if deadline is not None and self.clock() + wait > deadline:
                raise _OutOfTime
            if wait:
                await self.sleep(wait)
            try:
                page = await call()
            except RateLimited as limited:
                self._next_at[method] = self.clock() + limited.retry_after
                raise
            if page.capped:
                self.paced = True
            if self.paced:
                self._next_at[method] = self.clock() + PACED_INTERVAL
            return page


class HistoryReader:
    def __init__(
        self,
        db: Database,
        gateway: SlackGateway,
        store: Store,
        clock: Callable[[], datetime],
        tasks: BackgroundTasks,
        pacer: Pacer | None = None,
    ) -> None:
        self.db, self.gateway, self.store, self.clock, self.tasks = db, gateway, store, clock, tasks
        self.pacer = pacer or Pacer()
        self._walking: set[str] = set()  # channels with a walk running in this process

    def is_reading(self, channel_id: str) -> bool:
        return channel_id in self._walking

    async def catch_up(
        self,
        channel: ChannelRef,
        *,
        from_start: bool = False,
        since: str | None = None,
        threads: Collection[str] = (),
        max_calls: int | None = None,
        max_seconds: float | None = None,
    ) -> Progress:
        """Read what the bot has not seen. Within the budget (calls, seconds) when one is given; what
        is left then goes on in the background and `done` is False. `from_start`: the bot joined late,
        so the read goes back past what it captured live (to its last read, or the beginning).
        `since`: the message at this ts could not be stored (the database was down), nor perhaps
        anything after it: the read goes back to it, below the watermark, and a walk under way that
        would miss it starts again from the earlier of the two. `threads`: threads whose replies
        were not stored, read whole (their parent may be older than `since`)."""
        if not channel.is_incident:
            return Progress(True, 0, 0)
        if channel.id in self._walking:
            return Progress(False, 0, 0)
        self._walking.add(channel.id)  # before any await: one walk per channel in this process
        deadline = None if max_seconds is None else self.pacer.clock() + max_seconds
        calls = stored = 0
        try:
            await self._begin(channel.id, from_start, since, threads)
            while max_calls is None or calls < max_calls:
                calls += 1
                try:
                    over, added = await self._step(channel, deadline)
                    stored += added
                    if over:
                        self._walking.discard(channel.id)
                        return Progress(True, stored, calls)
                except RateLimited:
                    continue
                except _OutOfTime:
                    calls -= 1
                    break
        except BaseException:
            self._walking.discard(channel.id)
            raise
        self.tasks.spawn(self._walk(channel), name=f"history {channel.id}")
        return Progress(False, stored, calls)

    async def _walk(self, channel: ChannelRef) -> None:
        try:
            while True:
                try:
                    if (await self._step(channel, None))[0]:
                        return
                except RateLimited as limited:
                    log.info("history of %s: %s; waiting", channel.id, limited)
        except Exception as exc:  # the walk is in the database: the next start or draft resumes it
            log.warning("history of %s stopped (%s); it resumes later", channel.id, exc)
        finally:
            self._walking.discard(channel.id)

    async def _begin(
        self, channel_id: str, from_start: bool, since: str | None, threads: Collection[str]
    ) -> None:
        async with self.db.transaction() as session:
            row = await history_store.state(session, channel_id)
            if since is not None and not history_store.covers(row, since):
                oldest = history_store.earlier(row.walk_oldest, just_before(since))
                history_store.start_walk(row, oldest, self.clock())
            elif row.walk_oldest is None:
                seen = None if from_start else await history_store.newest_live_ts(session, channel_id)
                history_store.start_walk(row, history_store.later(row.read_ts, seen) or "0", self.clock())
            if missing := [t for t in sorted(threads, key=float) if t not in row.walk_threads]:
                row.walk_threads = [*row.walk_threads, *missing]
            session.add(row)
            self.pacer.paced = self.pacer.paced or row.paced

    async def _step(self, channel: ChannelRef, deadline: float | None) -> tuple[bool, int]:
        """One Web API call of the walk, its messages stored and its position saved: (whether the
        walk is over, messages stored)."""
        async with self.db.session() as session:
            row = await history_store.find(session, channel.id)
        if row is None or row.walk_oldest is None:
            return True, 0
        paced = self.pacer.paced or row.paced
        oldest, cursor = row.walk_oldest, row.walk_cursor
        if not row.walk_pages_done:
            limit = PACED_LIMIT if paced else HISTORY_LIMIT
            page = await self.pacer.call(
                "conversations.history",
                lambda: self.gateway.history_page(channel.id, oldest, cursor, limit),
                deadline,
            )
            # Threads with replies newer than what was seen; older threads were read already.
            threads = [
                str(m["ts"]) for m in page.messages
                if int(m.get("reply_count") or 0) and float(m.get("latest_reply") or 0) > float(oldest)
            ]  # fmt: skip
        else:
            thread = row.walk_threads[0]
            limit = PACED_LIMIT if paced else REPLIES_LIMIT
            page = await self.pacer.call(
                "conversations.replies",
                lambda: self.gateway.replies_page(channel.id, thread, cursor, limit),
                deadline,
            )
            threads = []
        stored = await self.store(channel, page.messages)
        async with self.db.transaction() as session:
            row = await history_store.state(session, channel.id)
            row.paced = row.paced or self.pacer.paced
            if not row.walk_pages_done:
                newest = max((str(m["ts"]) for m in page.messages), key=float, default=None)
                row.walk_newest = history_store.later(row.walk_newest, newest)
                row.walk_threads = [*row.walk_threads, *threads]
                row.walk_cursor = page.next_cursor or None
                row.walk_pages_done = not page.next_cursor
            elif page.next_cursor:
                row.walk_cursor = page.next_cursor
            else:
                row.walk_threads, row.walk_cursor = row.walk_threads[1:], None
            over = row.walk_pages_done and not row.walk_threads
            if over:
                history_store.finish_walk(row, self.clock())
            else:
                row.updated_at = self.clock()
            session.add(row)
        return over, stored


async def backfill_open_incidents(services: Services) -> int:
    """At start-up: read what open incidents' channels said while the bot was away, and resume
    walks a restart interrupted. Returns the number of messages stored."""
    async with services.db.session() as session:
        channel_ids = {row.channel_id for row in await incident_store.open_incidents(session)}
        channel_ids.update(await history_store.walks_in_progress(session))
    reader = services.capture.history
    added = 0
    for channel_id in sorted(channel_ids):
        try:
            added += (await reader.catch_up(await services.channel_ref(channel_id))).stored
        except Exception as exc:  # one unreadable channel must not stop the others
            log.warning("backfill of %s failed: %s", channel_id, exc)
    if added:
        log.info("backfill after start-up stored %d missed messages", added)
    return added
