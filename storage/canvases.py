"""The live canvas of each incident: who may write it (a lease), what was last written (a
compare-and-set on `version`), and the canvases.edit allowance every replica shares."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CanvasBudgetRow, CanvasRow, EntryRow, IncidentRow
from storage.upsert import insert_ignoring_conflicts


async def get(session: AsyncSession, incident_id: int) -> CanvasRow | None:
    return await session.get(CanvasRow, incident_id, populate_existing=True)


async def register(session: AsyncSession, incident_id: int, channel_id: str, now: datetime) -> bool:
    """The canvas row for an incident, inserted once whatever the number of replicas; True when this
    call inserted it (the caller then owns the creation)."""
    values = {
        "incident_id": incident_id,
        "channel_id": channel_id,
        "mode": "creating",
        "written": {},
        "version": 0,
        "created_at": now,
    }
    result = await session.execute(insert_ignoring_conflicts(session, CanvasRow.__table__, values))
    return bool(result.rowcount)


async def claim(session: AsyncSession, incident_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
    """Take (or renew) the right to write this incident's canvas; one replica at a time."""
    stmt = (
        update(CanvasRow)
        .where(
            CanvasRow.incident_id == incident_id,
            or_(
                CanvasRow.claimed_by.is_(None),
                CanvasRow.claimed_by == owner,
                CanvasRow.claimed_until < now,
            ),
        )
        .values(claimed_by=owner, claimed_until=now + lease)
    )
    return bool((await session.execute(stmt)).rowcount)


async def save(session: AsyncSession, incident_id: int, version: int, now: datetime, **values: Any) -> bool:
    """Record what was written, only if nobody wrote since `version` was read."""
    stmt = (
        update(CanvasRow)
        .where(CanvasRow.incident_id == incident_id, CanvasRow.version == version)
        .values(version=version + 1, updated_at=now, **values)
    )
    return bool((await session.execute(stmt)).rowcount)


async def watched(session: AsyncSession, since: datetime) -> list[tuple[int, str]]:
    """(incident id, channel id) of incidents whose canvas may need work: those with one, and those
    with a captured entry and none yet, opened since `since`."""
    has_entry = exists().where(EntryRow.incident_id == IncidentRow.id)
    stmt = (
        select(IncidentRow.id, IncidentRow.channel_id)
        .outerjoin(CanvasRow, CanvasRow.incident_id == IncidentRow.id)
        .where(IncidentRow.opened_at >= since, or_(CanvasRow.incident_id.is_not(None), has_entry))
        .order_by(IncidentRow.id)
    )
    return [(int(i), str(c)) for i, c in (await session.execute(stmt)).all()]


async def take_token(session: AsyncSession, now: float, capacity: float, per_second: float) -> float:
    """Spend one call of the shared allowance: 0.0 when taken, else the seconds until one is free.

    A token bucket in one row, updated by compare-and-set so that replicas never spend the same
    token; a lost race answers "try again now"."""
    row = await session.get(CanvasBudgetRow, 1, populate_existing=True)
    if row is None:
        await session.execute(
            insert_ignoring_conflicts(
                session, CanvasBudgetRow.__table__, {"id": 1, "tokens": capacity, "at": now}
            )
        )
        return await take_token(session, now, capacity, per_second)
    tokens = min(capacity, row.tokens + max(0.0, now - row.at) * per_second)
    if tokens < 1.0:
        return (1.0 - tokens) / per_second
    stmt = (
        update(CanvasBudgetRow)
        .where(and_(CanvasBudgetRow.id == 1, CanvasBudgetRow.tokens == row.tokens))
        .where(CanvasBudgetRow.at == row.at)
        .values(tokens=tokens - 1.0, at=now)
    )
    return 0.0 if (await session.execute(stmt)).rowcount else 0.001
