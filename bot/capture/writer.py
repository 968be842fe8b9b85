"""Group commit for the event stream.

Every message event must be committed before Slack gets its 200, and a transaction per event caps
throughput at what one commit costs. Requests that arrive while a commit is running wait for the
next one together: one transaction, one multi-row insert, one commit for all of them. Under light
load a batch is a single event, so latency is that of a plain transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from bot.capture.entries import incident_changes
from storage.batch import BatchOutcome, CoreStatements, PendingEntry, commit_batch
from storage.db import Database
from storage.sqlite_batch import SQLiteBatchConnection

log = logging.getLogger(__name__)

MAX_BATCH = 256
# Kinds that can move the incident's own record (status, commander, severity).
STATUS_KINDS = frozenset({"resolved", "mitigated", "ack", "decision", "note"})


class _Request:
    __slots__ = ("channel_name", "future", "item")

    def __init__(self, item: PendingEntry, channel_name: str, future: asyncio.Future[bool]) -> None:
        self.item, self.channel_name, self.future = item, channel_name, future


class EntryWriter:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db, self.clock = db, clock
        self._queue: list[_Request] = []
        self._wakeup: asyncio.Event | None = None
        self._runner: asyncio.Task[None] | None = None
        # channel id → (incident id, opened_at): an incident row, once there, keeps its id.
        self._incidents: dict[str, tuple[int, datetime]] = {}
        # SQLite: the whole batch runs on one thread with a plain sqlite3 connection.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="scribe-writer") if db.is_sqlite else None
        self._sqlite = SQLiteBatchConnection(db.sync_engine) if db.is_sqlite else None

    async def submit(self, item: PendingEntry, channel_name: str) -> bool:
        """Resolves once the item's batch has committed: True if stored, False if already known."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._queue.append(_Request(item, channel_name, future))
        if self._runner is None or self._runner.done():
            self._wakeup = asyncio.Event()
            self._runner = loop.create_task(self._run(), name="entry writer")
        assert self._wakeup is not None
        self._wakeup.set()
        return await future

    async def _run(self) -> None:
        assert self._wakeup is not None
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                try:
                    results = await self._commit(batch)
                except Exception as exc:  # the whole batch failed: Slack will retry each event
                    log.exception("storing %d captured messages failed", len(batch))
                    for request in batch:
                        if not request.future.done():
                            request.future.set_exception(exc)
                    continue
                for request, stored in zip(batch, results, strict=True):
                    if not request.future.done():
                        request.future.set_result(stored)

    async def _commit(self, batch: list[_Request]) -> list[bool]:
        items = [r.item for r in batch]
        names = {r.item.values["channel_id"]: r.channel_name for r in batch}
        args = (items, names, dict(self._incidents), self.clock(), incident_changes, STATUS_KINDS)
        if self._thread is not None:
            outcome = await asyncio.get_running_loop().run_in_executor(self._thread, self._commit_sync, args)
        else:
            async with self.db.engine.begin() as conn:
                outcome = await conn.run_sync(lambda sync: commit_batch(CoreStatements(sync), *args))
        self._incidents.update(outcome.incidents)
        return outcome.stored

    def _commit_sync(self, args: tuple) -> BatchOutcome:  # type: ignore[type-arg]
        assert self._sqlite is not None
        return self._sqlite.run(commit_batch, *args)

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            try:
                await self._runner
            except (asyncio.CancelledError, Exception):
                pass
            self._runner = None
        if self._thread is not None:
            if self._sqlite is not None:
                self._thread.submit(self._sqlite.close)  # on the thread that used it
            self._thread.shutdown(wait=True)
