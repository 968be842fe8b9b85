"""The group-commit writer on both databases: what one batch stores, what it refuses, and that the
SQLite fast path (plain sqlite3, SQL compiled by SQLAlchemy) writes the very rows SQLAlchemy would."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.capture.writer import EntryWriter
from bot.incident_state import MOVER_KINDS, incident_changes
from storage.batch import CoreStatements, PendingEntry, commit_batch
from storage.db import Database
from storage.models import EntryRow, IncidentRow, ProcessedEvent
from storage.sqlite_batch import SQLiteBatchConnection

T0 = datetime(2026, 3, 4, 14, 2, 11, 123456, tzinfo=UTC)
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


def values(ts_offset: int, kind: str = "observation", **extra: Any) -> dict[str, Any]:
    at = T0 + timedelta(seconds=ts_offset)
    row = {
        "channel_id": "C1",
        "ts": f"{at.timestamp():.6f}",
        "thread_ts": None,
        "occurred_at": at,
        "kind": kind,
        "text": f"message {ts_offset} — naïve ünïcode",
        "raw": {"text": "x", "blocks": [{"type": "section"}]},
        "refs": {"service": "api-gateway", "version": "v2.14.0"} if kind == "deploy" else {},
        "author_id": "U1",
        "author_name": None,
        "author_kind": "human",
        "source": None,
        "capture": "auto",
        "hidden": False,
        "kind_locked": False,
        "created_at": NOW,
    }
    row.update(extra)
    return row


async def prepared(url: str) -> Database:
    db = Database(url)
    await db.prepare()
    return db


async def submit_all(writer: EntryWriter, items: list[PendingEntry]) -> list[bool]:
    # Submitted in one loop turn, so they share a batch.
    return list(await asyncio.gather(*(writer.submit(item, "incident-42") for item in items)))


async def test_one_batch_stores_each_message_once_on_both_databases(db_url: str) -> None:
    db = await prepared(db_url)
    writer = EntryWriter(db, lambda: NOW)
    try:
        first = await submit_all(
            writer,
            [
                PendingEntry("Ev1", values(10, "deploy")),
                PendingEntry("Ev1", values(10, "deploy")),  # redelivered inside the batch
                PendingEntry("Ev2", values(10, "deploy")),  # same message, another event id
                PendingEntry("Ev3", values(20, "ack", text="ack, I'm IC")),
                PendingEntry(None, values(5)),  # backfilled: no event id, earlier than the rest
            ],
        )
        assert first == [True, False, False, True, True]
        again = await submit_all(writer, [PendingEntry("Ev1", values(10)), PendingEntry("Ev9", values(20))])
        assert again == [False, False]
        # A later batch with an earlier message moves the incident's start back.
        assert await submit_all(writer, [PendingEntry("Ev4", values(-30, "resolved"))]) == [True]

        async with db.session() as session:
            entries = (await session.execute(select(EntryRow).order_by(EntryRow.occurred_at))).scalars().all()
            incident = (await session.execute(select(IncidentRow))).scalars().one()
            ledger = (await session.execute(select(ProcessedEvent.event_id))).scalars().all()
        assert [e.ts for e in entries] == [values(n)["ts"] for n in (-30, 5, 10, 20)]
        deploy = entries[2]
        assert deploy.occurred_at == T0 + timedelta(seconds=10)
        assert deploy.occurred_at.tzinfo is not None
        assert deploy.refs == {"service": "api-gateway", "version": "v2.14.0"}
        assert deploy.raw == {"text": "x", "blocks": [{"type": "section"}]}
        assert deploy.text == "message 10 — naïve ünïcode"
        assert (deploy.hidden, deploy.kind_locked, deploy.capture) == (False, False, "auto")
        assert {e.incident_id for e in entries} == {incident.id}
        assert incident.channel_name == "incident-42"
        assert incident.opened_at == T0 - timedelta(seconds=30)
        assert incident.commander_id == "U1"  # from the "I'm IC" acknowledgement
        assert (incident.status, incident.resolved_at) == ("resolved", T0 - timedelta(seconds=30))
        assert sorted(ledger) == ["Ev1", "Ev2", "Ev3", "Ev4", "Ev9"]  # Ev9 handled, nothing new
    finally:
        await writer.close()
        await db.dispose()


async def test_a_failed_batch_leaves_nothing_behind(db_url: str) -> None:
    """The ledger row and the entry commit together: if the batch fails, Slack's retry must find
    the event unclaimed and store it."""
    db = await prepared(db_url)
    writer = EntryWriter(db, lambda: NOW)
    try:
        naive = values(1, occurred_at=datetime(2026, 3, 4, 14, 0))  # refused by UTCDateTime
        results = await asyncio.gather(
            writer.submit(PendingEntry("Ev1", values(0)), "incident-42"),
            writer.submit(PendingEntry("Ev2", naive), "incident-42"),
            return_exceptions=True,
        )
        assert all(isinstance(r, Exception) for r in results)
        async with db.session() as session:
            assert (await session.execute(select(ProcessedEvent))).scalars().all() == []
            assert (await session.execute(select(EntryRow))).scalars().all() == []
        assert await submit_all(writer, [PendingEntry("Ev1", values(0))]) == [True]
    finally:
        await writer.close()
        await db.dispose()


def _dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("incident", "timeline_entry", "processed_event")
        }


async def test_sqlite_fast_path_writes_what_sqlalchemy_writes(tmp_path: Path) -> None:
    batches = [
        [
            PendingEntry("Ev1", values(10, "deploy")),
            PendingEntry("Ev2", values(20, "resolved", author_name="Alice", source="pagerduty")),
            PendingEntry(None, values(30, thread_ts=values(10)["ts"])),
        ],
        [PendingEntry("Ev3", values(-5, "mitigated")), PendingEntry("Ev1", values(10))],
    ]
    dumps = []
    for name in ("core", "fast"):
        db = await prepared(f"sqlite+aiosqlite:///{tmp_path / name}.db")
        known: dict[str, tuple[int, datetime]] = {}
        fast = SQLiteBatchConnection(db.sync_engine)
        for batch in batches:
            args = (batch, {"C1": "incident-42"}, dict(known), NOW, incident_changes, MOVER_KINDS)
            if name == "core":
                with db.sync_engine.begin() as conn:
                    outcome = commit_batch(CoreStatements(conn), *args)
            else:
                outcome = fast.run(commit_batch, *args)
            known.update(outcome.incidents)
        fast.close()
        await db.dispose()
        dumps.append(_dump(tmp_path / f"{name}.db"))
    assert dumps[0] == dumps[1]
    assert len(dumps[0]["timeline_entry"]) == 4


@pytest.mark.parametrize("kind", ["deploy", "resolved"])
async def test_fast_path_rows_read_back_through_sqlmodel(tmp_path: Path, kind: str) -> None:
    db = await prepared(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    fast = SQLiteBatchConnection(db.sync_engine)
    try:
        item = PendingEntry("Ev1", values(1, kind))
        fast.run(commit_batch, [item], {"C1": "incident-42"}, {}, NOW, incident_changes, MOVER_KINDS)
        async with db.session() as session:
            row = (await session.execute(select(EntryRow))).scalars().one()
        assert {k: getattr(row, k) for k in item.values} == item.values
    finally:
        fast.close()
        await db.dispose()


async def test_postgres_writer_recovers_when_its_connection_dies(pg_url: str) -> None:
    """The event path's pool does not ping on checkout: a dead connection may fail one batch (Slack
    retries it), never more, and nothing is half-stored."""
    db = await prepared(pg_url)
    writer = EntryWriter(db, lambda: NOW)
    try:
        assert await submit_all(writer, [PendingEntry("Ev1", values(1))]) == [True]
        async with db.engine.connect() as conn:  # the other pool: kill every writer connection
            await conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        failures = 0
        for _attempt in range(3):
            try:
                assert await submit_all(writer, [PendingEntry("Ev2", values(2))]) == [True]
                break
            except AssertionError:
                raise
            except Exception:
                failures += 1
        else:
            pytest.fail("the writer never recovered")
        assert failures <= 1
        async with db.session() as session:
            assert len((await session.execute(select(EntryRow))).scalars().all()) == 2
            assert sorted((await session.execute(select(ProcessedEvent.event_id))).scalars().all()) == [
                "Ev1",
                "Ev2",
            ]
    finally:
        await writer.close()
        await db.dispose()


async def test_a_batch_that_cannot_even_start_fails_alone(tmp_path: Path) -> None:
    """If building a batch fails, its requests get the error and the writer keeps going."""
    db = await prepared(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    calls = []

    def clock() -> datetime:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("clock broke")
        return NOW

    writer = EntryWriter(db, clock)
    try:
        with pytest.raises(RuntimeError, match="clock broke"):
            await asyncio.wait_for(writer.submit(PendingEntry("Ev1", values(1)), "incident-42"), 5)
        assert await asyncio.wait_for(writer.submit(PendingEntry("Ev1", values(1)), "incident-42"), 5)
    finally:
        await writer.close()
        await db.dispose()


async def test_sqlite_lock_held_elsewhere_never_stalls_the_loop(tmp_path: Path) -> None:
    """Batches commit on the loop thread only when the write lock is free at once; while another
    connection holds it they wait on the writer thread, and the loop keeps serving. The loop's own
    connection is opened on the writer thread too (its connect pragmas run under busy_timeout)."""
    path = tmp_path / "x.db"
    db = await prepared(f"sqlite+aiosqlite:///{path}")
    writer = EntryWriter(db, lambda: NOW)
    other = sqlite3.connect(path, isolation_level=None)
    loop = asyncio.get_running_loop()

    async def while_locked(index: int) -> None:
        other.execute("BEGIN IMMEDIATE")
        pending = asyncio.ensure_future(
            writer.submit(PendingEntry(f"Ev{index}", values(index)), "incident-42")
        )
        started = loop.time()
        for _ in range(20):  # the loop keeps turning while the batch waits for the lock
            await asyncio.sleep(0.01)
        assert loop.time() - started < 5  # a loop stuck on busy_timeout would take 10 s
        assert not pending.done()
        other.execute("COMMIT")
        assert await asyncio.wait_for(pending, 10) is True

    try:
        await while_locked(1)  # the very first batch: the loop's connection is not open yet
        assert writer._inline is not None and writer._inline.connected
        assert await submit_all(writer, [PendingEntry("Ev2", values(2))]) == [True]  # inline
        await while_locked(3)  # inline finds the lock taken: the thread commits it
        assert await submit_all(writer, [PendingEntry("Ev4", values(4))]) == [True]
        async with db.session() as session:
            found = await session.execute(select(EntryRow.ts).order_by(EntryRow.occurred_at))
            stored = found.scalars().all()
        assert stored == [values(i)["ts"] for i in (1, 2, 3, 4)]
    finally:
        other.close()
        await writer.close()
        await db.dispose()


def rows_in_database_file(path: Path, copy: Path) -> int:
    """Entries in the database file itself, without what still waits in its WAL."""
    copy.write_bytes(path.read_bytes())
    with sqlite3.connect(copy) as conn:
        return int(conn.execute("SELECT count(*) FROM timeline_entry").fetchone()[0])


@pytest.mark.parametrize("every", [3, 10_000])
async def test_sqlite_checkpoints_run_off_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, every: int
) -> None:
    """The inline connection never checkpoints on commit (its fsync would stall the loop); the writer
    thread copies the WAL into the database file every CHECKPOINT_EVERY stored events."""
    monkeypatch.setattr("bot.capture.writer.CHECKPOINT_EVERY", every)
    path = tmp_path / "x.db"
    db = await prepared(f"sqlite+aiosqlite:///{path}")
    await db.dispose()  # no other connection may checkpoint behind the writer's back
    writer = EntryWriter(db, lambda: NOW)
    try:
        for i in range(4):
            assert await submit_all(writer, [PendingEntry(f"Ev{i}", values(i))]) == [True]
        checkpointed = 0
        for _ in range(100 if every <= 4 else 5):
            checkpointed = rows_in_database_file(path, tmp_path / "copy.db")
            if checkpointed:
                break
            await asyncio.sleep(0.05)
        # The fourth may land before the checkpoint that the third queued gets to run.
        assert checkpointed >= 3 if every <= 4 else checkpointed == 0
    finally:
        await writer.close()
        await db.dispose()


async def test_events_reaching_the_writer_over_consecutive_loop_turns_share_one_commit(db_url: str) -> None:
    """Under load each loop turn parses a few more events; a batch waits while it keeps growing."""
    db = await prepared(db_url)
    calls = iter(range(100))
    writer = EntryWriter(db, lambda: NOW + timedelta(seconds=next(calls)))  # once per batch

    async def after(turns: int, index: int) -> bool:
        for _ in range(turns):
            await asyncio.sleep(0)
        return await writer.submit(PendingEntry(f"Ev{index}", values(index)), "incident-42")

    try:
        assert await asyncio.gather(*(after(i, i) for i in range(3))) == [True] * 3
        assert await after(0, 3)  # alone: its own batch, without waiting for anyone
        async with db.session() as session:
            found = await session.execute(select(ProcessedEvent).order_by(ProcessedEvent.event_id))
            received = [row.received_at for row in found.scalars()]
        assert received == [NOW] * 3 + [NOW + timedelta(seconds=1)]
    finally:
        await writer.close()
        await db.dispose()
