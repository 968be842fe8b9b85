"""The service catalogue of each workspace: names learned from integrations, channel names and
earlier entries. Names are stored lower-case, once per workspace; learning a known name is a no-op."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import IncidentRow, ServiceRow
from storage.upsert import insert_ignoring_conflicts

NAME_MAX = 64


async def names(session: AsyncSession, team_id: str) -> list[str]:
    result = await session.execute(
        sa.select(ServiceRow.name).where(ServiceRow.team_id == team_id).order_by(ServiceRow.name)
    )
    return list(result.scalars())


async def learn(
    session: AsyncSession, team_id: str, new: Iterable[str], *, source: str, now: datetime
) -> int:
    """Store the names not yet known to the workspace; how many were new."""
    added = 0
    for name in dict.fromkeys(n.strip().lower() for n in new):
        if not name or len(name) > NAME_MAX:
            continue
        stmt = insert_ignoring_conflicts(
            session,
            ServiceRow.__table__,
            {"team_id": team_id, "name": name, "source": source, "learned_at": now},
        )
        added += (await session.execute(stmt)).rowcount or 0
    return added


async def every_name(session: AsyncSession) -> list[str]:
    """Every workspace's names, for offline tools that see one installation's database."""
    result = await session.execute(sa.select(ServiceRow.name).distinct().order_by(ServiceRow.name))
    return list(result.scalars())


async def incident_channel_names(session: AsyncSession) -> list[str]:
    result = await session.execute(sa.select(IncidentRow.channel_name))
    return list(result.scalars())
