"""Store a batch of captured messages in one transaction (group commit for the event stream).

Each item is (event_id or None, entry values). The ledger row and the entry of one event commit
together; duplicates — within the batch, against earlier batches, or against another replica's
concurrent transaction — are absorbed by the primary key / unique constraint.

The decisions live in `commit_batch`; the statements it needs are behind `BatchStatements`, so one
batch costs one hop to wherever it runs: `CoreStatements` over a sync SQLAlchemy Connection
(`AsyncConnection.run_sync` on asyncpg), or `storage.sqlite_batch` on the SQLite writer thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import EntryRow, IncidentRow, ProcessedEvent

# (entry values, incident status, fields a person set) -> column changes for the incident; decided
# by the caller.
IncidentRule = Callable[[Mapping[str, Any], str, frozenset[str]], dict[str, Any]]
# The record's fields a `/postmortem status|ic|severity` command locks, by their `<field>_set_by` column.
LOCKABLE = ("status", "commander", "severity")


def locked_fields(set_by: Sequence[str | None]) -> frozenset[str]:
    """The fields with a `<field>_set_by` value, given those values in LOCKABLE order."""
    return frozenset(field for field, by in zip(LOCKABLE, set_by, strict=True) if by)


@dataclass(frozen=True, slots=True)
class PendingEntry:
    event_id: str | None
    values: dict[str, Any]  # EntryRow columns except incident_id


@dataclass(slots=True)
class BatchOutcome:
    stored: list[bool]
    # channel id -> (incident id, opened_at) for the caller's cache.
    incidents: dict[str, tuple[int, datetime]] = field(default_factory=dict)


class BatchStatements(Protocol):
    """The writes and reads of one batch, inside a transaction the caller owns."""

    def insert_incidents(self, rows: list[dict[str, Any]]) -> None:
        """Insert incident rows; a channel that already has one is left alone."""

    def incidents_of(self, channel_ids: list[str]) -> list[tuple[int, str, datetime]]:
        """(id, channel id, opened_at) of these channels' incidents."""

    def incident_statuses(self, ids: list[int]) -> dict[int, tuple[str, frozenset[str]]]:
        """(status, fields a person set) of these incidents."""

    def update_incident(self, incident_id: int, changes: dict[str, Any]) -> None: ...

    def claim_events(self, rows: list[dict[str, Any]]) -> set[str]:
        """Insert ledger rows; the event ids inserted by this call (not those already there)."""

    def insert_entries(self, rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
        """Insert entry rows; (channel id, ts) of those inserted by this call."""


class CoreStatements:
    """BatchStatements over a sync SQLAlchemy Connection (PostgreSQL or SQLite)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.d: Any = postgresql if conn.dialect.name == "postgresql" else sqlite

    def insert_incidents(self, rows: list[dict[str, Any]]) -> None:
        self.conn.execute(self.d.insert(IncidentRow.__table__).on_conflict_do_nothing(), rows)

    def incidents_of(self, channel_ids: list[str]) -> list[tuple[int, str, datetime]]:
        t = IncidentRow.__table__
        found = self.conn.execute(
            select(t.c.id, t.c.channel_id, t.c.opened_at).where(t.c.channel_id.in_(channel_ids))
        )
        return [(row.id, row.channel_id, row.opened_at) for row in found]

    def incident_statuses(self, ids: list[int]) -> dict[int, tuple[str, frozenset[str]]]:
        t = IncidentRow.__table__
        locks = [t.c[f"{field}_set_by"] for field in LOCKABLE]
        found = self.conn.execute(select(t.c.id, t.c.status, *locks).where(t.c.id.in_(ids)))
        return {row[0]: (row[1], locked_fields(row[2:])) for row in found}

    def update_incident(self, incident_id: int, changes: dict[str, Any]) -> None:
        t = IncidentRow.__table__
        self.conn.execute(t.update().where(t.c.id == incident_id).values(**changes))

    def claim_events(self, rows: list[dict[str, Any]]) -> set[str]:
        ledger = ProcessedEvent.__table__
        # executemany of one cached statement (SQLAlchemy's insertmanyvalues sends it as one
        # statement): a multi-VALUES literal would be recompiled for every batch size.
        stmt = self.d.insert(ledger).on_conflict_do_nothing().returning(ledger.c.event_id)
        return set(self.conn.execute(stmt, rows).scalars())

    def insert_entries(self, rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
        t = EntryRow.__table__
        stmt = self.d.insert(t).on_conflict_do_nothing().returning(t.c.channel_id, t.c.ts)
        return {(r.channel_id, r.ts) for r in self.conn.execute(stmt, rows)}


def ensure_incidents(
    sql: BatchStatements, channels: Mapping[str, tuple[str, datetime]]
) -> dict[str, tuple[int, datetime]]:
    """channel id → (incident id, opened_at), creating missing incidents and moving a start back
    when a late or backfilled message predates it. `channels`: id → (name, earliest time)."""
    sql.insert_incidents(
        [
            {"channel_id": cid, "channel_name": name, "status": "open", "opened_at": at}
            for cid, (name, at) in channels.items()
        ]
    )
    result: dict[str, tuple[int, datetime]] = {}
    for incident_id, channel_id, opened_at in sql.incidents_of(list(channels)):
        earliest = channels[channel_id][1]
        if earliest < opened_at:
            sql.update_incident(incident_id, {"opened_at": earliest})
        result[channel_id] = (incident_id, min(earliest, opened_at))
    return result


def store_entries(
    sql: BatchStatements, items: Sequence[PendingEntry], incident_ids: Mapping[str, int], now: datetime
) -> list[bool]:
    """Insert what is new; returns, per item, whether it was stored by this call."""
    claimed: set[str] = set()
    event_ids = list(dict.fromkeys(i.event_id for i in items if i.event_id))
    if event_ids:
        claimed = sql.claim_events([{"event_id": e, "received_at": now} for e in event_ids])

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
        stored = sql.insert_entries(
            [
                {**items[i].values, "incident_id": incident_ids[items[i].values["channel_id"]]}
                for i in candidates
            ]
        )
    chosen = set(candidates)
    return [
        index in chosen and (item.values["channel_id"], item.values["ts"]) in stored
        for index, item in enumerate(items)
    ]


def commit_batch(
    sql: BatchStatements,
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
        outcome.incidents = ensure_incidents(sql, unknown)
    incidents = {**known, **outcome.incidents}
    incident_ids = {cid: incidents[cid][0] for cid in earliest}
    outcome.stored = store_entries(sql, items, incident_ids, now)

    movers = [
        item
        for item, ok in zip(items, outcome.stored, strict=True)
        if ok and item.values["kind"] in status_kinds
    ]
    if movers:
        # Read fresh: another replica may have moved the incident since anything was cached.
        statuses = sql.incident_statuses(list({incident_ids[i.values["channel_id"]] for i in movers}))
        for item in movers:
            incident_id = incident_ids[item.values["channel_id"]]
            status, locked = statuses[incident_id]
            changes = incident_rule(item.values, status, locked)
            if changes:
                sql.update_incident(incident_id, changes)
                statuses[incident_id] = (changes.get("status", status), locked)
    return outcome
