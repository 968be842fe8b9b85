"""Timeline entries: one row per captured Slack message (or hand-written note)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Row, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import TimelineEntry
from storage.models import EntryRow
from storage.upsert import insert_ignoring_conflicts


def to_entry(row: EntryRow | Row[Any]) -> TimelineEntry:
    """From an ORM row or a plain row of `_ENTRY_COLUMNS` (the same attribute names)."""
    return TimelineEntry(
        id=row.id,
        channel_id=row.channel_id,
        ts=row.ts,
        thread_ts=row.thread_ts,
        occurred_at=row.occurred_at,
        kind=row.kind,
        text=row.text,
        refs=dict(row.refs or {}),
        author_id=row.author_id,
        author_name=row.author_name,
        author_kind=row.author_kind,  # type: ignore[arg-type]
        source=row.source,
        capture=row.capture,  # type: ignore[arg-type]
        kind_locked=row.kind_locked,
        confidence=row.confidence,  # type: ignore[arg-type]
    )


async def insert(session: AsyncSession, values: Mapping[str, Any]) -> bool:
    """False when the message is already stored (redelivery, backfill overlap, replica race)."""
    result = await session.execute(insert_ignoring_conflicts(session, EntryRow.__table__, dict(values)))
    return bool(result.rowcount)


async def get(session: AsyncSession, channel_id: str, ts: str) -> EntryRow | None:
    stmt = select(EntryRow).where(EntryRow.channel_id == channel_id, EntryRow.ts == ts)
    return (await session.execute(stmt)).scalar_one_or_none()


async def mark_deleted(session: AsyncSession, channel_id: str, ts: str, now: datetime) -> bool:
    stmt = (
        update(EntryRow)
        .where(EntryRow.channel_id == channel_id, EntryRow.ts == ts, EntryRow.deleted_at.is_(None))
        .values(deleted_at=now)
    )
    return bool((await session.execute(stmt)).rowcount)


async def set_author_name(session: AsyncSession, channel_id: str, ts: str, name: str) -> None:
    stmt = (
        update(EntryRow).where(EntryRow.channel_id == channel_id, EntryRow.ts == ts).values(author_name=name)
    )
    await session.execute(stmt)


# The columns a TimelineEntry holds: selected as plain rows, which skips building an ORM object per
# entry (a third of the cost of reading a long timeline, which the canvas does on every update).
_ENTRY_COLUMNS = (
    EntryRow.id,
    EntryRow.channel_id,
    EntryRow.ts,
    EntryRow.thread_ts,
    EntryRow.occurred_at,
    EntryRow.kind,
    EntryRow.text,
    EntryRow.refs,
    EntryRow.author_id,
    EntryRow.author_name,
    EntryRow.author_kind,
    EntryRow.source,
    EntryRow.capture,
    EntryRow.kind_locked,
    EntryRow.confidence,
)


async def _live(session: AsyncSession, incident_id: int, *where: Any) -> list[TimelineEntry]:
    """The live (not deleted, not taken out) entries matching `where`, in message-time order."""
    stmt = (
        select(*_ENTRY_COLUMNS)
        .where(
            EntryRow.incident_id == incident_id,
            EntryRow.deleted_at.is_(None),
            EntryRow.hidden.is_(False),
            *where,
        )
        .order_by(EntryRow.occurred_at, EntryRow.ts)
    )
    return [to_entry(r) for r in (await session.execute(stmt)).all()]


async def timeline(session: AsyncSession, incident_id: int) -> list[TimelineEntry]:
    """Every live entry (including `other`, which the draft filters), in message-time order."""
    return await _live(session, incident_id)


async def events(session: AsyncSession, incident_id: int) -> list[TimelineEntry]:
    """The live entries that are events (every kind but `other`), in message-time order: what the
    canvas and the catch-up show and measure, without converting the chatter they never show."""
    return await _live(session, incident_id, EntryRow.kind != "other")


async def of_kinds(session: AsyncSession, incident_id: int, kinds: Collection[str]) -> list[TimelineEntry]:
    """The live entries of these kinds, in message-time order (what `timeline` would keep of them)."""
    return await _live(session, incident_id, EntryRow.kind.in_(list(kinds)))


async def by_id(session: AsyncSession, entry_id: int) -> EntryRow | None:
    return await session.get(EntryRow, entry_id)


async def least_sure(
    session: AsyncSession, incident_id: int, *, human_confidence: str, weak: str, limit: int
) -> tuple[list[TimelineEntry], int]:
    """Live entries nobody confirmed that the bot is least sure of — weak ones, then human ones at
    `human_confidence` that are events (not `other`) — newest first; and how many there are in all."""
    live = (
        (EntryRow.incident_id == incident_id)
        & EntryRow.deleted_at.is_(None)
        & EntryRow.hidden.is_(False)
        & EntryRow.kind_locked.is_(False)
    )
    unsure = (EntryRow.confidence == weak) | (
        (EntryRow.confidence == human_confidence)
        & (EntryRow.author_kind == "human")
        & (EntryRow.kind != "other")
    )
    rank = case((EntryRow.confidence == weak, 0), else_=1)
    stmt = (
        select(EntryRow)
        .where(live & unsure)
        .order_by(rank, EntryRow.occurred_at.desc(), EntryRow.ts.desc())
        .limit(limit)
    )
    rows = [to_entry(r) for r in (await session.execute(stmt)).scalars()]
    total = (
        await session.execute(select(func.count()).select_from(EntryRow).where(live & unsure))
    ).scalar_one()
    return rows, int(total)


async def all_rows(session: AsyncSession, batch: int = 1000) -> list[EntryRow]:
    return list((await session.execute(select(EntryRow).order_by(EntryRow.id))).scalars())
