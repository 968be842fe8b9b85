"""Channel history watermarks and the resumable history walk (see bot/capture/backfill.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelHistoryRow, EntryRow
from storage.upsert import insert_ignoring_conflicts


async def state(session: AsyncSession, channel_id: str) -> ChannelHistoryRow:
    """The channel's row, created empty on first use (safe when replicas race)."""
    await session.execute(
        insert_ignoring_conflicts(
            session,
            ChannelHistoryRow.__table__,
            {"channel_id": channel_id, "walk_pages_done": False, "walk_threads": [], "paced": False},
        )
    )  # fmt: skip
    stmt = select(ChannelHistoryRow).where(ChannelHistoryRow.channel_id == channel_id)
    return (await session.execute(stmt)).scalar_one()


async def find(session: AsyncSession, channel_id: str) -> ChannelHistoryRow | None:
    stmt = select(ChannelHistoryRow).where(ChannelHistoryRow.channel_id == channel_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def newest_live_ts(session: AsyncSession, channel_id: str) -> str | None:
    """The newest message of the channel the event stream delivered (a hand capture can pick an
    old message; what a read stored is in `read_ts`). Slack's ts are fixed-width (10-digit seconds,
    6-digit fraction), so their string order is their time order."""
    stmt = select(func.max(EntryRow.ts)).where(EntryRow.channel_id == channel_id, EntryRow.capture == "auto")
    return (await session.execute(stmt)).scalar_one_or_none()


async def walks_in_progress(session: AsyncSession) -> list[str]:
    stmt = select(ChannelHistoryRow.channel_id).where(ChannelHistoryRow.walk_oldest.is_not(None))
    return list((await session.execute(stmt)).scalars())


def start_walk(row: ChannelHistoryRow, oldest: str, now: datetime) -> None:
    row.walk_oldest, row.walk_cursor, row.walk_pages_done = oldest, None, False
    row.walk_newest, row.walk_threads = None, []
    row.updated_at = now


def finish_walk(row: ChannelHistoryRow, now: datetime) -> None:
    row.read_ts = later(row.read_ts, row.walk_newest or row.walk_oldest)
    row.walk_oldest = row.walk_cursor = row.walk_newest = None
    row.walk_pages_done, row.walk_threads = False, []
    row.updated_at = now


def covers(row: ChannelHistoryRow, ts: str) -> bool:
    """Whether the walk under way reads the message at `ts`: it reads from the newest message there
    was at its first page back to `walk_oldest`; a message newer than that first page is not in it."""
    if row.walk_oldest is None or float(row.walk_oldest) >= float(ts):
        return False
    if row.walk_newest is None:  # no message read yet: covered only if no page was read either
        return not row.walk_pages_done and row.walk_cursor is None
    return float(ts) <= float(row.walk_newest)


def earlier(a: str | None, b: str) -> str:
    return b if a is None else min(a, b, key=float)


def later(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return max(a, b, key=float)
