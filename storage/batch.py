"""Store a batch of captured messages in one transaction (group commit for the event stream).

Each item is (event_id or None, entry values). The ledger row and the entry of one event commit
together; duplicates — within the batch, against earlier batches, or against another replica's
concurrent transaction — are absorbed by the primary key / unique constraint.

Written against a *sync* Connection so one batch costs one hop to wherever it runs: a dedicated
thread with a plain sqlite3 connection for SQLite (aiosqlite would hop threads for every cursor
call), or `AsyncConnection.run_sync` on asyncpg.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import EntryRow, IncidentRow, ProcessedEvent

# (entry values, incident status) -> column changes for the incident; decided by the caller.
IncidentRule = Callable[[Mapping[str, Any], str], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class PendingEntry:
    event_id: str | None
    values: dict[str, Any]  # EntryRow columns except incident_id


@dataclass(slots=True)
class BatchOutcome:
    stored: list[bool]
    # channel id -> (incident id, opened_at) for the caller's cache.
    incidents: dict[str, tuple[int, datetime]] = field(default_factory=dict)


def _dialect(conn: Connection) -> Any:
    return postgresql if conn.dialect.name == "postgresql" else sqlite


def ensure_incidents(
    conn: Connection, channels: Mapping[str, tuple[str, datetime]]
) -> dict[str, tuple[int, datetime]]:
    """channel id → (incident id, opened_at), creating missing incidents and moving a start back
    when a late or backfilled message predates it. `channels`: id → (name, earliest time)."""
    table = IncidentRow.__table__
    rows = [
        {"channel_id": cid, "channel_name": name, "status": "open", "opened_at": at}
        for cid, (name, at) in channels.items()
    ]
    conn.execute(_dialect(conn).insert(table).on_conflict_do_nothing(), rows)
    found = conn.execute(
        select(table.c.id, table.c.channel_id, table.c.opened_at).where(
            table.c.channel_id.in_(list(channels))
        )
    )
    result: dict[str, tuple[int, datetime]] = {}
    for row in found:
        earliest = channels[row.channel_id][1]
        if earliest < row.opened_at:
            conn.execute(table.update().where(table.c.id == row.id).values(opened_at=earliest))
        result[row.channel_id] = (row.id, min(earliest, row.opened_at))
    return result


def store_entries(
    conn: Connection, items: Sequence[PendingEntry], incident_ids: Mapping[str, int], now: datetime
) -> list[bool]:
    """Insert what is new; returns, per item, whether it was stored by this call."""
    d = _dialect(conn)
    claimed: set[str] = set()
    event_ids = list(dict.fromkeys(i.event_id for i in items if i.event_id))
    if event_ids:
        ledger = ProcessedEvent.__table__
        # executemany of one cached statement (SQLAlchemy's insertmanyvalues sends it as one
        # statement): a multi-VALUES literal would be recompiled for every batch size.
        stmt = d.insert(ledger).on_conflict_do_nothing().returning(ledger.c.event_id)
        params = [{"event_id": e, "received_at": now} for e in event_ids]
        claimed = set(conn.execute(stmt, params).scalars())

    seen_events: set[str] = set()
    seen_keys: set[tuple[str, str]] = set()
    candidates: list[int] = []
    for index, item in enumerate(items):
        if item.event_id:
            if item.event_id not in claimed or item.event_id in seen_events:
                continue
            seen_events.add(item.event_id)
        key = (item.values["channel_id"], item.values["ts"])
        if key in seen_keys:
            continue
        seen_keys.add(key)
        candidates.append(index)

    stored: set[tuple[str, str]] = set()
    if candidates:
        table = EntryRow.__table__
        rows = [
            {**items[i].values, "incident_id": incident_ids[items[i].values["channel_id"]]}
            for i in candidates
        ]
        stmt = d.insert(table).on_conflict_do_nothing().returning(table.c.channel_id, table.c.ts)
        stored = {(r.channel_id, r.ts) for r in conn.execute(stmt, rows)}
    chosen = set(candidates)
    return [
        index in chosen and (item.values["channel_id"], item.values["ts"]) in stored
        for index, item in enumerate(items)
    ]


def commit_batch(
    conn: Connection,
    items: Sequence[PendingEntry],
    channel_names: Mapping[str, str],
    known: Mapping[str, tuple[int, datetime]],
    now: datetime,
    incident_rule: IncidentRule,
    status_kinds: frozenset[str],
) -> BatchOutcome:
    """Everything one batch writes; the caller owns the transaction."""
    earliest: dict[str, datetime] = {}
    for item in items:
        cid, at = item.values["channel_id"], item.values["occurred_at"]
        earliest[cid] = min(earliest.get(cid, at), at)
    unknown = {
        cid: (channel_names[cid], at)
        for cid, at in earliest.items()
        if cid not in known or at < known[cid][1]
    }
    outcome = BatchOutcome(stored=[])
    if unknown:
        outcome.incidents = ensure_incidents(conn, unknown)
    incidents = {**known, **outcome.incidents}
    incident_ids = {cid: incidents[cid][0] for cid in earliest}
    outcome.stored = store_entries(conn, items, incident_ids, now)

    movers = [
        item
        for item, ok in zip(items, outcome.stored, strict=True)
        if ok and item.values["kind"] in status_kinds
    ]
    if movers:
        # Read fresh: another replica may have moved the incident since anything was cached.
        table = IncidentRow.__table__
        ids = list({incident_ids[i.values["channel_id"]] for i in movers})
        found = conn.execute(select(table.c.id, table.c.status).where(table.c.id.in_(ids)))
        statuses = {row.id: row.status for row in found}
        for item in movers:
            incident_id = incident_ids[item.values["channel_id"]]
            changes = incident_rule(item.values, statuses[incident_id])
            if changes:
                conn.execute(table.update().where(table.c.id == incident_id).values(**changes))
                statuses[incident_id] = changes.get("status", statuses[incident_id])
    return outcome
