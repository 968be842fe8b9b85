"""Follow-up queries, including the reminder claim that makes each reminder go out once.

Every function takes the caller's `AsyncSession` (run it inside `Database.transaction()`); none
commits on its own, so a claim and its bookkeeping land together or not at all.

The claim protocol (see docs/followups.md):
  1. `claim_due` stamps `claim_token`/`claimed_until` on every due, unclaimed item of a batch of owners
     — all of an owner's due items in one go, so two replicas never split an owner's digest.
  2. Once half the lease is used, `renew` extends it for everything the sweep still holds; an
     owner whose items were taken over meanwhile (lease expired) is skipped.
  3. After Slack accepted the DM, `confirm_delivered` moves `next_remind_at` a day on and clears the
     claim; a permanent failure is `record_failure`; anything else is `release`d for the next sweep.
A sweep that dies after 1. leaves claims that expire at `claimed_until` and are retaken then.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import FollowUp, Priority
from storage.models import DraftRow, FollowUpRow, IncidentRow, UTCDateTime

T = FollowUpRow.__table__
I = IncidentRow.__table__  # noqa: E741
D = DraftRow.__table__

# Serialises claim transactions across replicas on PostgreSQL (a constant advisory-lock key; the
# transaction holding it is a few milliseconds long). Row locks alone cannot stop two replicas from
# each locking part of one owner's items, which would send that owner two digests.
CLAIM_LOCK_KEY = 0x5C81BE_F011


def _is_pg(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


_COLUMNS = (
    T.c.id,
    T.c.incident_id,
    T.c.channel_id,
    T.c.owner_id,
    T.c.owner_name,
    T.c.description,
    T.c.due,
    T.c.priority,
    T.c.status,
    T.c.created_by,
    T.c.created_at,
    T.c.done_at,
    T.c.done_by,
    T.c.snoozed_until,
    T.c.last_reminded_at,
    T.c.delivery_error,
    T.c.escalated_at,
    T.c.next_remind_at,
    I.c.channel_name,
    I.c.commander_id,
)


def _select() -> sa.Select[Any]:
    return sa.select(*_COLUMNS).select_from(T.join(I, I.c.id == T.c.incident_id))


def to_followup(row: Any) -> FollowUp:
    return FollowUp(
        id=row.id,
        channel_id=row.channel_id,
        owner_id=row.owner_id,
        description=row.description,
        created_by=row.created_by,
        created_at=row.created_at,
        priority=row.priority,
        due=row.due,
        status=row.status,
        owner_name=row.owner_name,
        done_at=row.done_at,
        done_by=row.done_by,
        snoozed_until=row.snoozed_until,
        last_reminded_at=row.last_reminded_at,
        delivery_error=row.delivery_error,
        channel_name=row.channel_name,
    )


@dataclass(frozen=True, slots=True)
class ItemContext:
    """A follow-up plus what permission checks and escalation need about its incident."""

    item: FollowUp
    incident_id: int
    commander_id: str | None
    escalated_at: datetime | None
    next_remind_at: datetime | None


def _context(row: Any) -> ItemContext:
    return ItemContext(
        item=to_followup(row),
        incident_id=row.incident_id,
        commander_id=row.commander_id,
        escalated_at=row.escalated_at,
        next_remind_at=row.next_remind_at,
    )


# --- commands --------------------------------------------------------------------------------------


async def add(
    session: AsyncSession,
    *,
    incident_id: int,
    channel_id: str,
    owner_id: str,
    owner_name: str | None,
    description: str,
    created_by: str,
    now: datetime,
    due: date | None = None,
    priority: Priority = "medium",
    next_remind_at: datetime | None = None,
) -> FollowUp:
    result = await session.execute(
        sa.insert(T)
        .values(
            incident_id=incident_id,
            channel_id=channel_id,
            owner_id=owner_id,
            owner_name=owner_name,
            description=description,
            due=due,
            priority=priority,
            status="open",
            created_by=created_by,
            created_at=now,
            next_remind_at=next_remind_at,
        )
        .returning(T.c.id)
    )
    item_id = result.scalar_one()
    found = await get(session, item_id)
    assert found is not None
    return found


async def get(session: AsyncSession, item_id: int) -> FollowUp | None:
    ctx = await get_context(session, item_id)
    return ctx.item if ctx else None


async def get_context(session: AsyncSession, item_id: int) -> ItemContext | None:
    row = (await session.execute(_select().where(T.c.id == item_id))).first()
    return _context(row) if row else None


async def get_many(session: AsyncSession, ids: Iterable[int]) -> list[FollowUp]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    rows = (await session.execute(_select().where(T.c.id.in_(wanted)).order_by(T.c.id))).all()
    return [to_followup(r) for r in rows]


async def list_for_incident(session: AsyncSession, incident_id: int) -> list[FollowUp]:
    """Every follow-up of one incident (open first, then by id) — also the draft's action items."""
    stmt = _select().where(T.c.incident_id == incident_id).order_by((T.c.status != "open"), T.c.id)
    return [to_followup(r) for r in (await session.execute(stmt)).all()]


async def list_open_for_owner(session: AsyncSession, owner_id: str) -> list[FollowUp]:
    stmt = (
        _select()
        .where(T.c.owner_id == owner_id, T.c.status == "open")
        .order_by(T.c.due.is_(None), T.c.due, T.c.id)
    )
    return [to_followup(r) for r in (await session.execute(stmt)).all()]


async def mark_done(session: AsyncSession, item_id: int, *, by: str, now: datetime) -> bool:
    """Close an open item; False if it was already closed (or is gone). Also drops any claim so a
    sweep in flight does not push its next reminder forward again."""
    result = await session.execute(
        sa.update(T)
        .where(T.c.id == item_id, T.c.status == "open")
        .values(
            status="done",
            done_at=now,
            done_by=by,
            next_remind_at=None,
            claim_token=None,
            claimed_until=None,
        )
    )
    return result.rowcount > 0  # type: ignore[attr-defined]


async def snooze(
    session: AsyncSession, item_id: int, *, until: datetime, next_remind_at: datetime | None
) -> bool:
    result = await session.execute(
        sa.update(T)
        .where(T.c.id == item_id, T.c.status == "open")
        .values(
            snoozed_until=until,
            next_remind_at=next_remind_at,
            claim_token=None,
            claimed_until=None,
            # The owner just clicked in their DM, so DMs do reach them.
            delivery_error=None,
        )
    )
    return result.rowcount > 0  # type: ignore[attr-defined]


# --- the reminder claim ----------------------------------------------------------------------------


def _due_unclaimed(now: datetime) -> list[sa.ColumnElement[bool]]:
    # `status = 'open' AND next_remind_at <= now` is the range scan on ix_followup_due_open.
    return [
        T.c.status == "open",
        T.c.next_remind_at <= now,
        sa.or_(T.c.claimed_until.is_(None), T.c.claimed_until < now),
    ]


def due_items_query(now: datetime, max_rows: int) -> sa.Select[Any]:
    """Owners of the oldest due, unclaimed items: what bench/sweep.py EXPLAINs. Deliberately no
    GROUP BY, which would make SQLite walk the owner index over the whole table."""
    return sa.select(T.c.owner_id).where(*_due_unclaimed(now)).order_by(T.c.next_remind_at).limit(max_rows)


async def claim_due(
    session: AsyncSession, *, now: datetime, token: str, claimed_until: datetime, max_rows: int = 200
) -> list[FollowUp]:
    """Claim for `token` every due, unclaimed item of the owners of the `max_rows` oldest due items
    (so all of an owner's due items at once); returns them."""
    owners = due_items_query(now, max_rows).scalar_subquery()
    if _is_pg(session):
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(CLAIM_LOCK_KEY)))
        ids = list(
            (
                await session.execute(
                    sa.select(T.c.id)
                    .where(*_due_unclaimed(now), T.c.owner_id.in_(owners))
                    .with_for_update(skip_locked=True)
                )
            ).scalars()
        )
        if not ids:
            return []
        await session.execute(
            sa.update(T).where(T.c.id.in_(ids)).values(claim_token=token, claimed_until=claimed_until)
        )
    else:
        # SQLite runs one writer at a time, so this single conditional UPDATE is the atomic claim.
        result = await session.execute(
            sa.update(T)
            .where(*_due_unclaimed(now), T.c.owner_id.in_(owners))
            .values(claim_token=token, claimed_until=claimed_until)
            .returning(T.c.id)
        )
        ids = list(result.scalars())
    # By id, not by token: claim_token has no index, and does not need one this way.
    out: list[FollowUp] = []
    for chunk in _chunks(ids):
        rows = (await session.execute(_select().where(T.c.id.in_(chunk)).order_by(T.c.id))).all()
        out.extend(to_followup(r) for r in rows)
    return out


def _chunks(ids: Iterable[int], size: int = 500) -> list[list[int]]:
    """Keeps IN lists under SQLite's bound-parameter limit."""
    ordered = sorted(set(ids))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


async def renew(
    session: AsyncSession, *, token: str, ids: Iterable[int], claimed_until: datetime
) -> list[int]:
    """Extend our lease on those of `ids` we still hold and return them (items closed or snoozed
    meanwhile have lost the token, and so have items another sweep took over)."""
    held: list[int] = []
    for chunk in _chunks(ids):
        result = await session.execute(
            sa.update(T)
            .where(T.c.id.in_(chunk), T.c.claim_token == token, T.c.status == "open")
            .values(claimed_until=claimed_until)
            .returning(T.c.id)
        )
        held.extend(result.scalars())
    return sorted(held)


async def confirm_delivered(
    session: AsyncSession,
    *,
    token: str,
    ids: Sequence[int],
    now: datetime,
    next_remind_at: datetime,
) -> int:
    result = await session.execute(
        sa.update(T)
        .where(T.c.id.in_(list(ids)), T.c.claim_token == token)
        .values(
            last_reminded_at=now,
            # A snooze taken while the DM was in flight cleared our token, so it is not overwritten.
            next_remind_at=sa.case(
                (
                    sa.and_(T.c.snoozed_until.is_not(None), T.c.snoozed_until > next_remind_at),
                    T.c.snoozed_until,
                ),
                # Typed, so SQLite stores the same text format the index compares against.
                else_=sa.literal(next_remind_at, UTCDateTime()),
            ),
            claim_token=None,
            claimed_until=None,
            delivery_error=None,
        )
    )
    return result.rowcount  # type: ignore[attr-defined,no-any-return]


async def record_failure(session: AsyncSession, *, token: str, ids: Sequence[int], error: str) -> int:
    """A DM that can never be delivered: keep the reason, stop considering the item."""
    result = await session.execute(
        sa.update(T)
        .where(T.c.id.in_(list(ids)), T.c.claim_token == token)
        .values(delivery_error=error[:128], next_remind_at=None, claim_token=None, claimed_until=None)
    )
    return result.rowcount  # type: ignore[attr-defined,no-any-return]


async def release(
    session: AsyncSession,
    *,
    token: str,
    ids: Iterable[int],
    next_remind_at: datetime | None = None,
) -> int:
    """Give those of `ids` we still hold back untouched (transient failure, shutdown), or deferred to
    `next_remind_at` (quiet hours). Items already settled no longer carry the token: untouched."""
    values: dict[str, Any] = {"claim_token": None, "claimed_until": None}
    if next_remind_at is not None:
        values["next_remind_at"] = next_remind_at
    released = 0
    for chunk in _chunks(ids):
        result = await session.execute(
            sa.update(T).where(T.c.id.in_(chunk), T.c.claim_token == token).values(**values)
        )
        released += result.rowcount  # type: ignore[attr-defined]
    return released


# --- escalation and post-mortem-due ----------------------------------------------------------------


async def claim_escalations(
    session: AsyncSession, *, now: datetime, due_on_or_before: date, limit: int = 500
) -> list[ItemContext]:
    """Mark open items overdue past the cutoff as escalated and return them (each escalates once)."""
    if _is_pg(session):
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(CLAIM_LOCK_KEY)))
    candidates = (
        sa.select(T.c.id)
        .where(
            T.c.status == "open",
            T.c.due.is_not(None),
            T.c.due <= due_on_or_before,
            T.c.escalated_at.is_(None),
            sa.or_(T.c.snoozed_until.is_(None), T.c.snoozed_until <= now),
        )
        .order_by(T.c.id)
        .limit(limit)
        .scalar_subquery()
    )
    result = await session.execute(
        sa.update(T)
        .where(T.c.id.in_(candidates), T.c.escalated_at.is_(None))
        .values(escalated_at=now)
        .returning(T.c.id)
    )
    ids = list(result.scalars())
    if not ids:
        return []
    rows = (await session.execute(_select().where(T.c.id.in_(ids)).order_by(T.c.incident_id, T.c.id))).all()
    return [_context(r) for r in rows]


async def unescalate(session: AsyncSession, ids: Sequence[int]) -> None:
    """The escalation message did not go out: let a later sweep try again."""
    if ids:
        await session.execute(sa.update(T).where(T.c.id.in_(list(ids))).values(escalated_at=None))


@dataclass(frozen=True, slots=True)
class PostmortemDue:
    incident_id: int
    channel_id: str
    channel_name: str
    resolved_at: datetime
    resolved_by: str | None


async def claim_postmortem_due(
    session: AsyncSession, *, now: datetime, resolved_before: datetime, resolved_after: datetime
) -> list[PostmortemDue]:
    """Resolved incidents with no draft whose post-mortem is due; each is returned once, ever."""
    no_draft = ~sa.exists().where(D.c.incident_id == I.c.id)
    result = await session.execute(
        sa.update(I)
        .where(
            I.c.status == "resolved",
            I.c.resolved_at.is_not(None),
            I.c.resolved_at <= resolved_before,
            I.c.resolved_at >= resolved_after,
            I.c.postmortem_reminded_at.is_(None),
            no_draft,
        )
        .values(postmortem_reminded_at=now)
        .returning(I.c.id, I.c.channel_id, I.c.channel_name, I.c.resolved_at, I.c.resolved_by)
    )
    return [
        PostmortemDue(
            incident_id=r.id,
            channel_id=r.channel_id,
            channel_name=r.channel_name,
            resolved_at=r.resolved_at,
            resolved_by=r.resolved_by,
        )
        for r in result.all()
    ]


async def unclaim_postmortem(session: AsyncSession, incident_id: int) -> None:
    await session.execute(sa.update(I).where(I.c.id == incident_id).values(postmortem_reminded_at=None))


async def incident_commander(session: AsyncSession, incident_id: int) -> str | None:
    return (
        await session.execute(sa.select(I.c.commander_id).where(I.c.id == incident_id))
    ).scalar_one_or_none()
