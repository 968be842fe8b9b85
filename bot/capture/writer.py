"""Group commit for the event stream.

Every message event must be committed before Slack gets its 200, and a transaction per event caps
throughput at what one commit costs. Requests whose events reach the writer in the same few loop
turns, or while a commit is running, share the next one: one transaction, one multi-row insert per
table, one commit. A batch waits for company only while it keeps growing (at most MAX_WAIT_TURNS
turns), so under light load it is a single event committed one loop turn later.

On SQLite a batch is committed on the event loop's own thread, on a plain sqlite3 connection that
never waits: in WAL mode with synchronous=NORMAL a commit is a write into the page cache, tens of
microseconds, cheaper than handing the batch to a thread (every sqlite3 call releases the GIL, and
taking it back from a busy loop thread cost milliseconds per batch under load: 33 % → 45 % of the
bare app's throughput in bench/ingest.py). Two things could stall the loop and are kept off it:
- the write lock held by another connection (a follow-up command, another process): the inline
  connection does not wait (busy_timeout 0) and the batch goes to the writer thread, which does;
- the WAL checkpoint and its fsync: the inline connection never checkpoints on commit; the writer
  thread runs a PASSIVE checkpoint every CHECKPOINT_EVERY stored events.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from datetime import datetime

from bot.incident_state import MOVER_KINDS, incident_changes
from storage.batch import BatchOutcome, CoreStatements, PendingEntry, commit_batch
from storage.db import Database
from storage.sqlite_batch import LockBusy, SQLiteBatchConnection

log = logging.getLogger(__name__)

MAX_BATCH = 256
MAX_WAIT_TURNS = 4  # loop turns a batch may wait for company while it keeps growing
CHECKPOINT_EVERY = 1000  # events; SQLite's own auto-checkpoint is every 1,000 pages

_Args = tuple  # type: ignore[type-arg]  # commit_batch's arguments after the statements
_Job = Callable[[SQLiteBatchConnection], None]


class _Request:
    __slots__ = ("channel_name", "future", "item")

    def __init__(self, item: PendingEntry, channel_name: str, future: asyncio.Future[bool]) -> None:
        self.item, self.channel_name, self.future = item, channel_name, future


class EntryWriter:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db, self.clock = db, clock
        self._pending: list[_Request] = []
        self._busy = False  # a batch is on its way to the database
        self._loop: asyncio.AbstractEventLoop | None = None
        self._postgres_task: asyncio.Task[None] | None = None
        # channel id → (incident id, opened_at): an incident row, once there, keeps its id.
        self._incidents: dict[str, tuple[int, datetime]] = {}
        self._inline: SQLiteBatchConnection | None = None
        self._since_checkpoint = 0
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    async def submit(self, item: PendingEntry, channel_name: str) -> bool:
        """Resolves once the item's batch has committed: True if stored, False if already known."""
        loop = self._loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._pending.append(_Request(item, channel_name, future))
        if not self._busy:
            self._busy = True
            loop.call_soon(self._gather, 0, 0)
        return await future

    def _gather(self, seen: int, turns: int) -> None:
        """Dispatch once a loop turn brings no new request (or after MAX_WAIT_TURNS): under load every
        turn parses more events and one commit for all of them costs less than one each; idle, the
        wait is one turn of an empty loop."""
        waiting = len(self._pending)
        if waiting > seen and turns < MAX_WAIT_TURNS and waiting < MAX_BATCH:
            assert self._loop is not None
            self._loop.call_soon(self._gather, waiting, turns + 1)
        else:
            self._dispatch()

    def _dispatch(self) -> None:
        batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
        batch = [r for r in batch if not r.future.done()]  # a cancelled request needs no row
        if not batch:
            self._busy = bool(self._pending)
            if self._busy:
                self._dispatch()
            return
        try:
            items = [r.item for r in batch]
            names = {r.item.values["channel_id"]: r.channel_name for r in batch}
            args = (items, names, dict(self._incidents), self.clock(), incident_changes, MOVER_KINDS)
            if self.db.is_sqlite:
                self._commit_sqlite(batch, args)
            else:
                assert self._loop is not None
                self._postgres_task = self._loop.create_task(self._commit_postgres(batch, args))
        except Exception as exc:  # never leave the writer "busy" with nobody to finish the batch
            self._finish(batch, None, exc)

    def _commit_sqlite(self, batch: list[_Request], args: _Args) -> None:
        inline = self._inline
        if inline is None or not inline.connected:
            # Connecting runs the engine's pragmas, which may wait on another connection's lock: the
            # thread opens the loop's connection and commits this first batch itself.
            inline = self._inline = inline or SQLiteBatchConnection(self.db.sync_engine, wait=False)
            self._on_thread(lambda sqlite: self._commit_on_thread(sqlite, batch, args, inline.connect))
            return
        try:
            outcome = inline.run(commit_batch, *args)
        except LockBusy:
            self._on_thread(lambda sqlite: self._commit_on_thread(sqlite, batch, args))
            return
        self._since_checkpoint += len(batch)
        if self._since_checkpoint >= CHECKPOINT_EVERY:
            self._since_checkpoint = 0
            self._on_thread(SQLiteBatchConnection.checkpoint)
        self._finish(batch, outcome, None)

    def _on_thread(self, job: _Job) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._sqlite_thread, name="scribe-writer", daemon=True)
            self._thread.start()
        self._jobs.put(job)

    def _commit_on_thread(
        self,
        sqlite: SQLiteBatchConnection,
        batch: list[_Request],
        args: _Args,
        before: Callable[[], None] | None = None,
    ) -> None:
        try:
            if before is not None:
                before()
            outcome, error = sqlite.run(commit_batch, *args), None
        except Exception as exc:
            outcome, error = None, exc
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(self._finish, batch, outcome, error)
        except RuntimeError:  # the loop is gone: nobody is waiting any more
            pass

    async def _commit_postgres(self, batch: list[_Request], args: _Args) -> None:
        try:
            async with self.db.writer_engine.begin() as conn:
                outcome = await conn.run_sync(lambda sync: commit_batch(CoreStatements(sync), *args))
        except Exception as exc:
            self._finish(batch, None, exc)
        else:
            self._finish(batch, outcome, None)

    def _sqlite_thread(self) -> None:
        sqlite = SQLiteBatchConnection(self.db.sync_engine)
        try:
            while (job := self._jobs.get()) is not None:
                try:
                    job(sqlite)
                except Exception:  # a checkpoint that could not run now runs next time
                    log.warning("WAL checkpoint failed", exc_info=True)
        finally:
            sqlite.close()

    def _finish(self, batch: list[_Request], outcome: BatchOutcome | None, error: Exception | None) -> None:
        if outcome is None:  # the whole batch failed: Slack will retry each event
            log.error("storing %d captured messages failed", len(batch), exc_info=error)
            for request in batch:
                if not request.future.done():
                    request.future.set_exception(error or RuntimeError("batch failed"))
        else:
            self._incidents.update(outcome.incidents)
            for request, stored in zip(batch, outcome.stored, strict=True):
                if not request.future.done():
                    request.future.set_result(stored)
        if self._pending:
            self._dispatch()
        else:
            self._busy = False

    async def close(self) -> None:
        if self._postgres_task is not None and not self._postgres_task.done():
            await asyncio.wait([self._postgres_task], timeout=10)
        if self._thread is not None:
            self._jobs.put(None)  # after whatever is queued
            await asyncio.to_thread(self._thread.join, 10)
            self._thread = None
        if self._inline is not None:
            self._inline.close()
            self._inline = None
