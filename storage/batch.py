"""Store a batch of captured messages in one transaction (group commit for the event stream).

Each item is (event_id or None, entry values). The ledger row and the entry of one event commit
together; duplicates — within the batch, against earlier batches, or against another replica's
concurrent transaction — are absorbed by the primary key / unique constraint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import EntryRow, IncidentRow, ProcessedEvent


@dataclass(frozen=True, slots=True)
class PendingEntry:
    event_id: str | None
    values: dict[str, Any]  # EntryRow columns except incident_id


def _dialect(conn: AsyncConnection) -> Any:
    return postgresql if conn.dialect.name == "postgresql" else sqlite


async def ensure_incidents(
    conn: AsyncConnection, channels: dict[str, tuple[str, datetime]]
) -> dict[str, tuple[int, datetime, str]]:
    """channel id → (incident id, opened_at, status), creating missing incidents.

    `channels` maps channel id → (name, earliest message time in this batch)."""
    d = _dialect(conn)
    rows = [
        {"channel_id": cid, "channel_name": name, "status": "open", "opened_at": at}
        for cid, (name, at) in channels.items()
    ]
    if rows:
        await conn.execute(d.insert(IncidentRow.__table__).values(rows).on_conflict_do_nothing())
    table = IncidentRow.__table__
    result = await conn.execute(
        select(table.c.id, table.c.channel_id, table.c.opened_at, table.c.status).where(
            table.c.channel_id.in_(list(channels))
        )
    )
    found = {r.channel_id: (r.id, r.opened_at, r.status) for r in result}
    for cid, (_name, at) in channels.items():
        incident_id, opened_at, _status = found[cid]
        if at < opened_at:  # a late or backfilled message predates the recorded start
            await conn.execute(table.update().where(table.c.id == incident_id).values(opened_at=at))
    return found


async def store_entries(
    conn: AsyncConnection, items: Sequence[PendingEntry], incident_ids: dict[str, int], now: datetime
) -> list[bool]:
    """Insert what is new; returns, per item, whether it was stored by this call."""
    d = _dialect(conn)
    claimed: set[str] = set()
    event_ids = list(dict.fromkeys(i.event_id for i in items if i.event_id))
    if event_ids:
        ledger = ProcessedEvent.__table__
        # executemany of one cached statement (SQLAlchemy's insertmanyvalues batches it into one
        # round trip): a multi-VALUES literal would be recompiled for every batch size.
        stmt = d.insert(ledger).on_conflict_do_nothing().returning(ledger.c.event_id)
        params = [{"event_id": e, "received_at": now} for e in event_ids]
        claimed = set((await conn.execute(stmt, params)).scalars())

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
        stmt = d.insert(table).values(rows).on_conflict_do_nothing().returning(table.c.channel_id, table.c.ts)
        stored = {(r.channel_id, r.ts) for r in await conn.execute(stmt)}
    chosen = set(candidates)
    return [
        index in chosen and (item.values["channel_id"], item.values["ts"]) in stored
        for index, item in enumerate(items)
    ]


async def incident_statuses(conn: AsyncConnection, incident_ids: list[int]) -> dict[int, str]:
    table = IncidentRow.__table__
    result = await conn.execute(select(table.c.id, table.c.status).where(table.c.id.in_(incident_ids)))
    return {r.id: r.status for r in result}


async def apply_incident_changes(conn: AsyncConnection, incident_id: int, changes: dict[str, Any]) -> None:
    if changes:
        table = IncidentRow.__table__
        await conn.execute(table.update().where(table.c.id == incident_id).values(**changes))
