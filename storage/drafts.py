"""Stored post-mortem drafts, numbered per incident."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DraftRow

__all__ = ["DraftRow", "add", "latest"]


async def latest(session: AsyncSession, incident_id: int) -> DraftRow | None:
    stmt = (
        select(DraftRow).where(DraftRow.incident_id == incident_id).order_by(DraftRow.version.desc()).limit(1)
    )
    return (await session.execute(stmt)).scalars().first()


async def add(
    session: AsyncSession,
    *,
    incident_id: int,
    template: str,
    markdown: str,
    digest: dict[str, Any],
    requested_by: str | None,
    now: datetime,
) -> DraftRow:
    """Next version number; the unique (incident, version) constraint settles a race."""
    current = (
        await session.execute(select(func.max(DraftRow.version)).where(DraftRow.incident_id == incident_id))
    ).scalar()
    row = DraftRow(
        incident_id=incident_id,
        version=(current or 0) + 1,
        template=template,
        markdown=markdown,
        digest=digest,
        requested_by=requested_by,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row
