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
from datetime import datetime

from bot.capture.entries import incident_changes
from storage.batch import (
    PendingEntry,
    apply_incident_changes,
    ensure_incidents,
    incident_statuses,
    store_entries,
)
from storage.db import Database

log = logging.getLogger(__name__)

MAX_BATCH = 256
# Kinds that can move the incident's own record (status, commander, severity).
_INCIDENT_KINDS = frozenset({"resolved", "mitigated", "ack", "decision", "note"})


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
        channels: dict[str, tuple[str, datetime]] = {}
        for request in batch:
            values = request.item.values
            cid, at = values["channel_id"], values["occurred_at"]
            name, earliest = channels.get(cid, (request.channel_name, at))
            channels[cid] = (name, min(earliest, at))
        needs_status = any(r.item.values["kind"] in _INCIDENT_KINDS for r in batch)
        async with self.db.engine.begin() as conn:
            unknown = {
                cid: spec
                for cid, spec in channels.items()
                if cid not in self._incidents or spec[1] < self._incidents[cid][1]
            }
            if unknown:
                for cid, (incident_id, opened_at, _status) in (await ensure_incidents(conn, unknown)).items():
                    self._incidents[cid] = (incident_id, min(opened_at, channels[cid][1]))
            incident_ids = {cid: self._incidents[cid][0] for cid in channels}
            stored = await store_entries(conn, [r.item for r in batch], incident_ids, self.clock())
            statuses: dict[str, str] = {}
            if needs_status:
                # Read fresh: another replica may have moved the incident since we cached it.
                by_id = await incident_statuses(conn, list(incident_ids.values()))
                statuses = {cid: by_id[iid] for cid, iid in incident_ids.items()}
            for request, was_stored in zip(batch, stored, strict=True):
                values = request.item.values
                if not was_stored or values["kind"] not in _INCIDENT_KINDS:
                    continue
                cid = values["channel_id"]
                changes = incident_changes(values, statuses[cid])
                statuses[cid] = changes.get("status", statuses[cid])
                await apply_incident_changes(conn, incident_ids[cid], changes)
        return stored

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            try:
                await self._runner
            except (asyncio.CancelledError, Exception):
                pass
            self._runner = None
