"""Incidents: one per incident channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import Incident
from storage.batch import LOCKABLE, locked_fields
from storage.models import IncidentRow
from storage.upsert import insert_ignoring_conflicts


def to_incident(row: IncidentRow) -> Incident:
    return Incident(
        id=row.id,
        channel_id=row.channel_id,
        channel_name=row.channel_name,
        status=row.status,
        opened_at=row.opened_at,
        resolved_at=row.resolved_at,
        severity=row.severity,
        commander_id=row.commander_id,
        commander_name=row.commander_name,
        status_set_by=row.status_set_by,
        status_set_at=row.status_set_at,
        commander_set_by=row.commander_set_by,
        commander_set_at=row.commander_set_at,
        severity_set_by=row.severity_set_by,
        severity_set_at=row.severity_set_at,
    )


async def open_incident(
    session: AsyncSession, channel_id: str, channel_name: str, opened_at: datetime
) -> int:
    """Id of the channel's incident, creating it if needed; safe when replicas race."""
    await session.execute(
        insert_ignoring_conflicts(
            session,
            IncidentRow.__table__,
            {
                "channel_id": channel_id,
                "channel_name": channel_name,
                "status": "open",
                "opened_at": opened_at,
            },
        )
    )
    row = (
        await session.execute(select(IncidentRow).where(IncidentRow.channel_id == channel_id))
    ).scalar_one()
    if row.opened_at > opened_at:
        # A backfilled or late-delivered message predates what we thought was the start.
        row.opened_at = opened_at
    if channel_name and row.channel_name != channel_name:
        row.channel_name = channel_name
    assert row.id is not None
    return row.id


async def find_row(session: AsyncSession, channel: str) -> IncidentRow | None:
    """By channel id, or by channel name (with or without '#')."""
    name = channel.lstrip("#")
    stmt = select(IncidentRow).where((IncidentRow.channel_id == channel) | (IncidentRow.channel_name == name))
    return (await session.execute(stmt)).scalars().first()


async def row_by_id(session: AsyncSession, incident_id: int) -> IncidentRow | None:
    return await session.get(IncidentRow, incident_id)


async def row_by_channel(session: AsyncSession, channel_id: str) -> IncidentRow | None:
    stmt = select(IncidentRow).where(IncidentRow.channel_id == channel_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_by_channel(session: AsyncSession, channel_id: str) -> Incident | None:
    row = (
        await session.execute(select(IncidentRow).where(IncidentRow.channel_id == channel_id))
    ).scalar_one_or_none()
    return to_incident(row) if row else None


async def apply_updates(session: AsyncSession, incident_id: int, changes: dict[str, Any]) -> None:
    if changes:
        await session.execute(update(IncidentRow).where(IncidentRow.id == incident_id).values(**changes))


def locked(row: IncidentRow) -> frozenset[str]:
    return locked_fields([getattr(row, f"{field}_set_by") for field in LOCKABLE])


async def set_by_command(
    session: AsyncSession, incident_id: int, field: str, changes: dict[str, Any], by: str, at: datetime
) -> None:
    """A person set `field` (status, commander or severity): the values, and who and when."""
    values = {**changes, f"{field}_set_by": by, f"{field}_set_at": at}
    await session.execute(update(IncidentRow).where(IncidentRow.id == incident_id).values(**values))


async def set_commander_name(session: AsyncSession, channel_id: str, commander_id: str, name: str) -> None:
    """The commander's display name, if they are still the channel's commander."""
    await session.execute(
        update(IncidentRow)
        .where(IncidentRow.channel_id == channel_id, IncidentRow.commander_id == commander_id)
        .values(commander_name=name)
    )


async def open_incidents(session: AsyncSession) -> list[IncidentRow]:
    return list(
        (await session.execute(select(IncidentRow).where(IncidentRow.status != "resolved"))).scalars()
    )
