"""Processed Slack events: the ledger that turns redeliveries into no-ops."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedEvent
from storage.upsert import insert_ignoring_conflicts


async def claim_event(session: AsyncSession, event_id: str, now: datetime) -> bool:
    """True when this is the first delivery. Runs inside the caller's transaction, so a crash
    before commit releases the claim and Slack's retry is processed normally."""
    stmt = insert_ignoring_conflicts(
        session, ProcessedEvent.__table__, {"event_id": event_id, "received_at": now}
    )
    result = await session.execute(stmt)
    return bool(result.rowcount)
