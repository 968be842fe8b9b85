"""Multi-replica reminder sweeps on PostgreSQL, counted at the Slack simulator.

SQLite cannot show this (one writer at a time, and `FOR UPDATE SKIP LOCKED` is dropped there), so
these run on PostgreSQL only: two app instances sweep the same database at once; an instance is
restarted in the middle of a sweep; a sweep "crashes" after claiming; Slack answers 429 for a while.
Each time, every owner must end up with exactly one digest listing all of their due items.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.followups import blocks, policy
from bot.followups.reminders import sweep
from bot.simulator.server import SlackSimulator
from storage import followups as store
from storage import incidents
from tests.e2e.harness import Harness

OWNERS = 50
PER_OWNER = 20  # 1,000 due items; 20 fit one digest (blocks.MAX_ITEMS), so each DM lists them all


async def seed(h: Harness, *, owners: int = OWNERS, per_owner: int = PER_OWNER) -> list[str]:
    users = [h.sim.add_user(f"owner{n}") for n in range(owners)]
    chan = h.sim.add_channel("inc-900-outage", members=users)
    now = h.clock()
    yesterday = now.date() - timedelta(days=1)
    async with h.db.transaction() as s:
        inc = await incidents.open_incident(s, chan, "inc-900-outage", now - timedelta(days=3))
        await s.execute(
            sa.insert(store.T),
            [
                {"incident_id": inc, "channel_id": chan, "owner_id": u, "description": f"task {n} of {u}",
                 "due": yesterday, "priority": "medium", "status": "open", "created_by": users[0],
                 "created_at": now - timedelta(days=3), "next_remind_at": policy.due_at(yesterday, UTC),
                 "escalated_at": now}
                for u in users for n in range(per_owner)
            ],
        )  # fmt: skip
    return users


def digests(sim: SlackSimulator) -> dict[str, list[dict[str, Any]]]:
    """Delivered DM posts per owner, counted from the simulator's call log."""
    out: dict[str, list[dict[str, Any]]] = {}
    for call in sim.calls_to("chat.postMessage"):
        ch = sim.state.channels.get(str(call.params.get("channel")))
        if call.ok and ch is not None and ch.im_user:
            out.setdefault(ch.im_user, []).append(call.params)
    return out


async def wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


async def assert_exactly_one_digest_each(h: Harness, users: list[str], *, settle: float = 2.0) -> None:
    assert await wait_for(lambda: len(digests(h.sim)) == len(users), timeout=60), (
        f"{len(digests(h.sim))} of {len(users)} owners reminded"
    )
    await asyncio.sleep(settle)  # more sweeps run meanwhile; none may send again
    per_owner = digests(h.sim)
    assert sorted(per_owner) == sorted(users)
    dupes = {u: len(p) for u, p in per_owner.items() if len(p) != 1}
    assert not dupes, f"owners with more than one digest: {dupes}"
    import json

    for user, (params,) in per_owner.items():
        listed = blocks.item_ids_in(json.loads(params["blocks"]) if isinstance(params["blocks"], str)
                                    else params["blocks"])  # fmt: skip
        assert len(listed) == PER_OWNER, f"{user}'s digest lists {len(listed)} items"
    async with h.db.session() as s:
        row = (
            await s.execute(
                sa.select(
                    sa.func.count().filter(store.T.c.last_reminded_at.is_(None)),
                    sa.func.count().filter(store.T.c.claim_token.is_not(None)),
                    sa.func.min(store.T.c.next_remind_at),
                )
            )
        ).one()
    assert row[0] == 0 and row[1] == 0
    assert row[2] > datetime.now(UTC) + timedelta(hours=23)


async def test_two_instances_send_one_digest_per_owner(pg_url: str) -> None:
    h = Harness(pg_url, scribe_reminder_interval_seconds=0.2)
    await h.start()
    try:
        users = await seed(h)
        h.sim.reset_calls()
        await h.add_replica(reminders=True)
        await h.add_replica(reminders=True)
        # And extra sweeps hammering through the first instance's services, for more contention.
        extra = await asyncio.gather(*(sweep(h.services, h.clock()) for _ in range(4)))
        await assert_exactly_one_digest_each(h, users)
        sent_by_schedulers = sum(b.services.extras["scheduler"].sweeps for b in h.bots[1:])
        assert sent_by_schedulers >= 4
        assert sum(r.digests_sent for r in extra) <= OWNERS
    finally:
        await h.stop()


async def test_restart_in_the_middle_of_a_sweep(pg_url: str) -> None:
    h = Harness(pg_url, scribe_reminder_interval_seconds=0.5)
    await h.start()
    try:
        users = await seed(h)
        h.sim.reset_calls()
        # Slow Slack down so the sweep is still going when the instance goes away.
        h.sim.inject_rate_limit("chat.postMessage", 6, retry_after=1)
        first = await h.add_replica(reminders=True)
        assert await wait_for(lambda: len(h.sim.calls_to("chat.postMessage")) >= 2, timeout=20)
        await first.stop()  # graceful: the running sweep stops mid-way and gives its claims back
        h.bots.remove(first)
        reminded_before_restart = len(digests(h.sim))
        assert reminded_before_restart < OWNERS
        async with h.db.session() as s:
            held, done = (
                await s.execute(
                    sa.select(
                        sa.func.count().filter(store.T.c.claim_token.is_not(None)),
                        sa.func.count().filter(store.T.c.last_reminded_at.is_not(None)),
                    )
                )
            ).one()
        assert held == 0  # nothing left claimed by the stopped instance
        assert done == reminded_before_restart * PER_OWNER  # confirmed exactly what was delivered
        await h.add_replica(reminders=True)
        await assert_exactly_one_digest_each(h, users)
    finally:
        await h.stop()


async def test_crash_after_claim_is_retried_once_the_claim_expires(pg_url: str) -> None:
    h = Harness(pg_url, scribe_reminder_interval_seconds=0.2)
    await h.start()
    try:
        users = await seed(h)
        h.sim.reset_calls()
        # A replica claims half the owners and dies without sending or releasing (kill -9).
        now = h.clock()
        async with h.db.transaction() as s:
            dead = await store.claim_due(
                s,
                now=now,
                token="dead-replica",
                claimed_until=now + timedelta(seconds=3),
                max_rows=PER_OWNER * 25,
            )
        assert {i.owner_id for i in dead} and len({i.owner_id for i in dead}) < OWNERS
        await h.add_replica(reminders=True)
        await h.add_replica(reminders=True)
        await asyncio.sleep(1.5)
        assert not set(digests(h.sim)) & {i.owner_id for i in dead}  # still claimed by the dead one
        await assert_exactly_one_digest_each(h, users)
    finally:
        await h.stop()


async def test_429_storm_every_owner_still_gets_exactly_one_dm(pg_url: str) -> None:
    h = Harness(pg_url, scribe_reminder_interval_seconds=0.5)
    await h.start()
    try:
        users = await seed(h)
        h.sim.reset_calls()
        h.sim.inject_rate_limit("chat.postMessage", 20, retry_after=1)
        await h.add_replica(reminders=True)
        await h.add_replica(reminders=True)
        await assert_exactly_one_digest_each(h, users)
        limited = [c for c in h.sim.calls_to("chat.postMessage") if c.error == "ratelimited"]
        assert len(limited) == 20
    finally:
        await h.stop()
