"""Follow-ups end to end.

Part 1 drives `storage.followups` and the sweep directly against the simulator's Web API (the real
SlackGateway, no Bolt), on SQLite and PostgreSQL: claim semantics, cadence, failures, escalation.
Part 2 goes through signed HTTP requests to the running app (slash commands, buttons, scheduler).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings, load_settings
from bot.followups import blocks, policy
from bot.followups.reminders import sweep
from bot.simulator.server import SlackSimulator
from bot.slack.gateway import SlackGateway
from storage import followups as store
from storage import incidents
from storage.db import Database
from storage.models import DraftRow, IncidentRow

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TODAY = NOW.date()


class MovableClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class SweepServices:
    """The part of bot.services.Services the sweep uses."""

    settings: Settings
    db: Database
    gateway: SlackGateway
    clock: Callable[[], datetime]
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    sim: SlackSimulator
    svc: SweepServices
    clock: MovableClock

    def dms_to(self, user: str) -> list[dict[str, Any]]:
        return [m for m in self.dm_messages() if m["user"] == user]

    def dm_messages(self) -> list[dict[str, Any]]:
        out = []
        for ch in self.sim.state.channels.values():
            if ch.im_user:
                for m in self.sim.messages(ch.id):
                    out.append({**m, "user": ch.im_user, "channel": ch.id})
        return out


async def make_world(url: str, **settings: Any) -> tuple[World, Callable[[], Any]]:
    sim = SlackSimulator()
    await sim.start()
    db = Database(url)
    await db.migrate()
    cfg = load_settings(
        _env_file=None, slack_bot_token=sim.bot_token, slack_signing_secret=sim.signing_secret,
        slack_api_url=sim.api_url, database_url=url, **settings,
    )  # fmt: skip
    client = AsyncWebClient(token=sim.bot_token, base_url=sim.api_url)
    clock = MovableClock(NOW)
    world = World(sim, SweepServices(cfg, db, SlackGateway(client), clock), clock)

    async def close() -> None:
        await db.dispose()
        await sim.stop()

    return world, close


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    w, close = await make_world(db_url)
    try:
        yield w
    finally:
        await close()


async def new_incident(
    w: World, name: str, *, members: list[str], commander: str | None = None
) -> tuple[str, int]:
    chan = w.sim.add_channel(name, members=members)
    async with w.svc.db.transaction() as s:
        inc = await incidents.open_incident(s, chan, name, NOW - timedelta(days=10))
        if commander:
            await incidents.apply_updates(s, inc, {"commander_id": commander})
    return chan, inc


async def add_item(
    w: World, inc: int, chan: str, owner: str, due: date | None, *, text: str = "do it", by: str = "UCREATOR"
) -> int:
    async with w.svc.db.transaction() as s:
        item = await store.add(
            s, incident_id=inc, channel_id=chan, owner_id=owner, owner_name=None, description=text,
            created_by=by, now=NOW - timedelta(days=5), due=due,
            next_remind_at=policy.next_remind_at(due, w.svc.settings.zone),
        )  # fmt: skip
    return item.id


# ==== Part 1: storage + sweep =======================================================================


async def test_digest_once_per_owner_and_not_again_the_same_day(world: World) -> None:
    w = world
    a, b = w.sim.add_user("alice"), w.sim.add_user("bob")
    chan, inc = await new_incident(w, "inc-1-db", members=[a, b])
    i1 = await add_item(w, inc, chan, a, TODAY - timedelta(days=1), text="rotate keys")
    i2 = await add_item(w, inc, chan, a, TODAY - timedelta(days=2), text="add alert")
    await add_item(w, inc, chan, b, TODAY + timedelta(days=30), text="write docs")
    await add_item(w, inc, chan, b, None, text="no due date")

    result = await sweep(w.svc, w.clock())
    assert (result.digests_sent, result.items_reminded) == (1, 2)
    dms = w.dms_to(a)
    assert len(dms) == 1 and not w.dms_to(b)
    assert blocks.item_ids_in(dms[0]["blocks"]) == [i2, i1]  # oldest due first
    assert "rotate keys" in str(dms[0]["blocks"]) and "add alert" in str(dms[0]["blocks"])

    for _ in range(5):  # further sweeps the same day send nothing
        w.clock.advance(hours=2)
        assert (await sweep(w.svc, w.clock())).digests_sent == 0
    assert len(w.dms_to(a)) == 1

    w.clock.advance(hours=14)  # a day after the first reminder: once more
    assert (await sweep(w.svc, w.clock())).digests_sent == 1
    assert len(w.dms_to(a)) == 2


async def test_dm_goes_to_the_user_id_when_conversations_open_is_refused(world: World) -> None:
    w = world
    a = w.sim.add_user("alice")
    chan, inc = await new_incident(w, "inc-1-open", members=[a])
    await add_item(w, inc, chan, a, TODAY - timedelta(days=1), text="rotate keys")
    w.sim.fail_method("conversations.open", "missing_scope")
    assert (await sweep(w.svc, w.clock())).digests_sent == 1
    assert [c.params.get("channel") for c in w.sim.calls_to("chat.postMessage")] == [a]
    assert len(w.dms_to(a)) == 1


async def test_item_due_today_is_reminded_once_its_date_is_past(world: World) -> None:
    w = world
    a = w.sim.add_user("alice")
    chan, inc = await new_incident(w, "inc-2", members=[a])
    await add_item(w, inc, chan, a, TODAY)
    assert (await sweep(w.svc, w.clock())).digests_sent == 0
    w.clock.now = datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    assert (await sweep(w.svc, w.clock())).digests_sent == 1


async def test_claimed_items_are_not_claimed_twice_until_the_lease_expires(world: World) -> None:
    w = world
    a = w.sim.add_user("alice")
    chan, inc = await new_incident(w, "inc-3", members=[a])
    ids = [await add_item(w, inc, chan, a, TODAY - timedelta(days=1)) for _ in range(3)]
    lease = timedelta(minutes=5)
    async with w.svc.db.transaction() as s:
        first = await store.claim_due(s, now=NOW, token="t1", claimed_until=NOW + lease)
    async with w.svc.db.transaction() as s:
        second = await store.claim_due(s, now=NOW, token="t2", claimed_until=NOW + lease)
    assert sorted(i.id for i in first) == ids and second == []
    # "Crash" after claiming: nothing is sent until the lease runs out, then exactly one digest.
    w.clock.advance(minutes=1)
    assert (await sweep(w.svc, w.clock())).digests_sent == 0
    w.clock.advance(minutes=5)
    assert (await sweep(w.svc, w.clock())).digests_sent == 1
    assert len(w.dms_to(a)) == 1
    # The stale claimer's confirm is a no-op: its token is gone.
    async with w.svc.db.transaction() as s:
        assert await store.confirm_delivered(s, token="t1", ids=ids, now=NOW, next_remind_at=NOW) == 0


async def test_crash_mid_send_releases_claims_for_the_next_sweep(world: World) -> None:
    w = world
    a, b = w.sim.add_user("alice"), w.sim.add_user("bob")
    chan, inc = await new_incident(w, "inc-4", members=[a, b])
    await add_item(w, inc, chan, a, TODAY - timedelta(days=1))
    await add_item(w, inc, chan, b, TODAY - timedelta(days=1))
    w.sim.fail_method("chat.postMessage", "internal_error", count=1)
    result = await sweep(w.svc, w.clock())
    assert result.digests_sent == 1 and result.released == 1
    result = await sweep(w.svc, w.clock())
    assert result.digests_sent == 1
    assert len(w.dms_to(a)) == 1 and len(w.dms_to(b)) == 1
    assert (await sweep(w.svc, w.clock())).digests_sent == 0


async def test_cancelled_sweep_gives_its_claims_back(world: World) -> None:
    w = world
    users = [w.sim.add_user(f"u{i}") for i in range(6)]
    chan, inc = await new_incident(w, "inc-5", members=users)
    for u in users:
        await add_item(w, inc, chan, u, TODAY - timedelta(days=1))
    w.sim.inject_rate_limit("chat.postMessage", 1000, retry_after=1)
    task = asyncio.create_task(sweep(w.svc, w.clock()))
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with w.svc.db.session() as s:
        claimed = (
            await s.execute(sa.text("SELECT count(*) FROM followup WHERE claim_token IS NOT NULL"))
        ).scalar()
    assert claimed == 0
    w.sim.clear_faults()
    assert (await sweep(w.svc, w.clock())).digests_sent == 6


async def test_permanent_failures_are_recorded_and_not_retried(world: World) -> None:
    w = world
    gone = w.sim.add_user("gone", deleted=True)
    robot = w.sim.add_user("robot", is_bot=True)
    ok = w.sim.add_user("ok")
    chan, inc = await new_incident(w, "inc-6", members=[ok])
    i_gone = await add_item(w, inc, chan, gone, TODAY - timedelta(days=1))
    i_robot = await add_item(w, inc, chan, robot, TODAY - timedelta(days=1))
    i_unknown = await add_item(w, inc, chan, "UNOBODY", TODAY - timedelta(days=1))
    await add_item(w, inc, chan, ok, TODAY - timedelta(days=1))
    result = await sweep(w.svc, w.clock())
    assert result.digests_sent == 1 and result.failed_permanent == 3
    async with w.svc.db.session() as s:
        errors = {i.id: i.delivery_error for i in await store.list_for_incident(s, inc)}
    assert errors[i_gone] == "deactivated"
    assert errors[i_robot] == "cannot_dm_bot"
    assert errors[i_unknown] == "user_not_found"
    calls = len(w.sim.calls)
    w.clock.advance(days=2)
    result = await sweep(w.svc, w.clock())
    assert result.failed_permanent == 0 and result.digests_sent == 1  # only `ok` again
    assert len(w.sim.calls) - calls <= 4


async def test_dm_error_from_slack_is_recorded(world: World) -> None:
    w = world
    a = w.sim.add_user("alice")
    chan, inc = await new_incident(w, "inc-7", members=[a])
    item = await add_item(w, inc, chan, a, TODAY - timedelta(days=1))
    w.sim.fail_method("conversations.open", "user_disabled")
    assert (await sweep(w.svc, w.clock())).failed_permanent == 1
    async with w.svc.db.session() as s:
        found = await store.get(s, item)
    assert found is not None and found.delivery_error == "user_disabled"


async def test_rate_limited_sends_are_retried_and_each_owner_gets_one_dm(world: World) -> None:
    w = world
    users = [w.sim.add_user(f"u{i}") for i in range(5)]
    chan, inc = await new_incident(w, "inc-8", members=users)
    for u in users:
        await add_item(w, inc, chan, u, TODAY - timedelta(days=1))
    w.sim.inject_rate_limit("chat.postMessage", 3, retry_after=1)
    for _ in range(5):
        await sweep(w.svc, w.clock())
    assert Counter(m["user"] for m in w.dm_messages()) == Counter({u: 1 for u in users})
    assert len([c for c in w.sim.calls_to("chat.postMessage") if c.error == "ratelimited"]) == 3


async def test_quiet_hours_defer_to_the_owner_morning(db_url: str) -> None:
    w, close = await make_world(db_url, scribe_quiet_hours="22:00-08:00")
    try:
        night_owl = w.sim.add_user("kenji", tz="Asia/Tokyo")  # 10:00 UTC = 19:00 Tokyo: not quiet
        sleeper = w.sim.add_user("hana", tz="Pacific/Honolulu")  # 10:00 UTC = 00:00 Honolulu: quiet
        chan, inc = await new_incident(w, "inc-9", members=[night_owl, sleeper])
        await add_item(w, inc, chan, night_owl, TODAY - timedelta(days=1))
        item = await add_item(w, inc, chan, sleeper, TODAY - timedelta(days=1))
        result = await sweep(w.svc, w.clock())
        assert (result.digests_sent, result.deferred_quiet) == (1, 1)
        async with w.svc.db.session() as s:
            row = (
                await s.execute(sa.select(store.T.c.next_remind_at).where(store.T.c.id == item))
            ).scalar_one()
        assert row == datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # 08:00 in Honolulu
        w.clock.now = row
        assert (await sweep(w.svc, w.clock())).digests_sent == 1
        assert len(w.dms_to(sleeper)) == 1
    finally:
        await close()


async def test_snooze_and_done_stop_reminders(world: World) -> None:
    w = world
    a = w.sim.add_user("alice")
    chan, inc = await new_incident(w, "inc-10", members=[a])
    i1 = await add_item(w, inc, chan, a, TODAY - timedelta(days=1))
    i2 = await add_item(w, inc, chan, a, TODAY - timedelta(days=1))
    async with w.svc.db.transaction() as s:
        assert await store.mark_done(s, i1, by=a, now=NOW)
        assert not await store.mark_done(s, i1, by=a, now=NOW)
        until = NOW + timedelta(days=7)
        assert await store.snooze(s, i2, until=until, next_remind_at=until)
    assert (await sweep(w.svc, w.clock())).digests_sent == 0
    w.clock.advance(days=7, seconds=1)
    result = await sweep(w.svc, w.clock())
    assert result.items_reminded == 1


async def test_escalation_to_commander_once(world: World) -> None:
    w = world
    a, ic, b = w.sim.add_user("alice"), w.sim.add_user("ic"), w.sim.add_user("bob")
    chan, inc = await new_incident(w, "inc-11", members=[a, ic, b], commander=ic)
    chan2, inc2 = await new_incident(w, "inc-12", members=[b])
    await add_item(w, inc, chan, a, TODAY - timedelta(days=3), text="very late")
    await add_item(w, inc, chan, a, TODAY - timedelta(days=2), text="late")
    await add_item(w, inc2, chan2, b, TODAY - timedelta(days=5), text="no commander")
    result = await sweep(w.svc, w.clock())
    assert result.escalations_sent == 2
    to_ic = w.dms_to(ic)
    assert len(to_ic) == 1 and "very late" in to_ic[0]["text"] and "• *#2*" not in to_ic[0]["text"]
    assert f"<@{a}>" in to_ic[0]["text"] and "3 days overdue" in to_ic[0]["text"]
    in_channel = w.sim.messages(chan2)
    assert len(in_channel) == 1 and "no commander" in in_channel[0]["text"]
    w.clock.advance(days=1)  # now the second item is 3 days late too; the first is not escalated again
    assert (await sweep(w.svc, w.clock())).escalations_sent == 1
    assert len(w.dms_to(ic)) == 2 and "very late" not in w.dms_to(ic)[1]["text"]
    w.clock.advance(days=1)
    assert (await sweep(w.svc, w.clock())).escalations_sent == 0


async def test_postmortem_due_reminder(world: World) -> None:
    w = world
    r = w.sim.add_user("resolver")
    chan, inc = await new_incident(w, "inc-13", members=[r])
    chan2, inc2 = await new_incident(w, "inc-14", members=[r])
    chan3, inc3 = await new_incident(w, "inc-15", members=[r])
    async with w.svc.db.transaction() as s:
        await incidents.apply_updates(
            s, inc, {"status": "resolved", "resolved_at": NOW - timedelta(hours=49), "resolved_by": r}
        )
        await incidents.apply_updates(
            s, inc2, {"status": "resolved", "resolved_at": NOW - timedelta(hours=49)}
        )
        await incidents.apply_updates(
            s, inc3, {"status": "resolved", "resolved_at": NOW - timedelta(hours=49)}
        )
        s.add(DraftRow(incident_id=inc3, version=1, template="postmortem", markdown="#", created_at=NOW))
    result = await sweep(w.svc, w.clock())
    assert result.postmortem_reminders == 2
    assert len(w.dms_to(r)) == 1 and f"<#{chan}>" in w.dms_to(r)[0]["text"]
    assert len(w.sim.messages(chan2)) == 1 and not w.sim.messages(chan3)
    assert (await sweep(w.svc, w.clock())).postmortem_reminders == 0
    async with w.svc.db.session() as s:
        reminded = (
            await s.execute(sa.select(sa.func.count()).where(IncidentRow.postmortem_reminded_at.is_not(None)))
        ).scalar_one()  # type: ignore[union-attr]
    assert reminded == 2


async def test_list_for_incident_feeds_the_draft(world: World) -> None:
    w = world
    a = w.sim.add_user("alice")
    chan, inc = await new_incident(w, "inc-16", members=[a])
    i1 = await add_item(w, inc, chan, a, TODAY, text="first")
    i2 = await add_item(w, inc, chan, a, None, text="second")
    async with w.svc.db.transaction() as s:
        await store.mark_done(s, i1, by=a, now=NOW)
    async with w.svc.db.session() as s:
        items = await store.list_for_incident(s, inc)
    assert [(i.id, i.status) for i in items] == [(i2, "open"), (i1, "done")]
    assert items[1].done_by == a and items[1].channel_name == "inc-16"


# ==== Part 2: through signed HTTP requests to the running app ======================================


def body_text(result: Any) -> str:
    import json

    try:
        return str(json.loads(result.body).get("text", ""))
    except ValueError:
        return str(result.body)


async def followup_rows(db: Database) -> list[dict[str, Any]]:
    async with db.session() as s:
        rows = (await s.execute(sa.select(store.T).order_by(store.T.c.id))).mappings().all()
    return [dict(r) for r in rows]


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


def dm_posts(sim: SlackSimulator) -> dict[str, list[dict[str, Any]]]:
    """Successful chat.postMessage calls into DMs, by the DM's user."""
    out: dict[str, list[dict[str, Any]]] = {}
    for call in sim.calls_to("chat.postMessage"):
        ch = sim.state.channels.get(str(call.params.get("channel")))
        if call.ok and ch is not None and ch.im_user:
            out.setdefault(ch.im_user, []).append(call.params)
    return out


def dm_messages(sim: SlackSimulator, user: str) -> list[dict[str, Any]]:
    for ch in sim.state.channels.values():
        if ch.im_user == user:
            return sim.messages(ch.id)
    return []


def dm_channel(sim: SlackSimulator, user: str) -> str:
    return next(ch.id for ch in sim.state.channels.values() if ch.im_user == user)


async def test_add_list_remind_once_and_done_by_button(db_url: str) -> None:
    from tests.e2e.harness import Harness

    h = Harness(db_url, scribe_reminder_interval_seconds=1)
    await h.start(reminders=True)
    try:
        sim = h.sim
        alice, bob, carol = sim.add_user("alice"), sim.add_user("bob"), sim.add_user("carol")
        chan = sim.add_channel("inc-101-payments", members=[alice, bob, carol])
        today = h.clock().date()
        yesterday = today - timedelta(days=1)

        r = await sim.slash_command(chan, carol, f"followup add @alice Rotate the leaked key due:{yesterday}")
        assert r.status == 200
        assert "Added follow-up" in body_text(r) and "already in the past" in body_text(r)
        r = await sim.slash_command(chan, carol, "followup add @bob Write the runbook due:+30d priority:low")
        assert "Added follow-up" in body_text(r)
        await h.idle()
        public = [m["text"] for m in sim.messages(chan)]
        assert len(public) == 2 and "Rotate the leaked key" in public[0]

        listing = body_text(await sim.slash_command(chan, carol, "followup list"))
        assert "Rotate the leaked key" in listing and "Write the runbook" in listing
        assert f"<@{alice}>" in listing and f"<@{bob}>" in listing
        assert f"due {yesterday}" in listing and "open" in listing

        # One digest for alice within a few seconds, none for bob.
        assert await wait_for(lambda: alice in dm_posts(sim), timeout=8)
        scheduler = h.services.extras["scheduler"]
        sweeps = scheduler.sweeps
        assert await wait_for(lambda: scheduler.sweeps >= sweeps + 3, timeout=8)  # more sweeps, same day
        posts = dm_posts(sim)
        assert list(posts) == [alice] and len(posts[alice]) == 1
        dm = dm_messages(sim, alice)[0]
        assert "Rotate the leaked key" in str(dm["blocks"]) and f"<#{chan}>" in str(dm["blocks"])
        item_id = blocks.item_ids_in(dm["blocks"])[0]
        dm_chan = dm_channel(sim, alice)

        # Bob clicking Done on alice's item is refused, and nothing changes.
        assert await sim.click_button(bob, dm_chan, dm["ts"], blocks.ACTION_DONE, str(item_id)) == 200
        await h.idle()
        assert await wait_for(lambda: any("can't close" in str(x.get("text")) for x in sim.responses()))
        assert (await followup_rows(h.db))[0]["status"] == "open"
        assert dm_messages(sim, alice)[0].get("edited") is None

        # Alice clicks Done: closed, and the DM is redrawn in place.
        assert await sim.click_button(alice, dm_chan, dm["ts"], blocks.ACTION_DONE, str(item_id)) == 200
        await h.idle()
        row = (await followup_rows(h.db))[0]
        assert (row["status"], row["done_by"]) == ("done", alice)
        redrawn = dm_messages(sim, alice)[0]
        assert "✅ Done by" in str(redrawn["blocks"])
        assert not [b for b in redrawn["blocks"] if b["type"] == "actions"]
        assert len(dm_messages(sim, alice)) == 1  # updated, not a new message

        listing = body_text(await sim.slash_command(chan, carol, "followup list"))
        assert "done by" in listing
    finally:
        await h.stop()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("followup add", "needs an owner"),
        ("followup add Fix the thing", "must be the owner"),
        ("followup add @alice Fix the thing prio:high", "Unknown option"),
        ("followup add @alice Fix the thing due:2026-02-30", "is not a date"),
        ("followup done 999", "There is no follow-up #999"),
        ("followup done x", "is not a follow-up id"),
        ("followup", "Missing subcommand"),
        ("followup list everything", "`list` takes"),
    ],
)
async def test_malformed_commands_get_usage_and_change_nothing(db_url: str, text: str, reason: str) -> None:
    from tests.e2e.harness import Harness

    async with Harness(db_url) as h:
        sim = h.sim
        alice = sim.add_user("alice")
        chan = sim.add_channel("inc-102", members=[alice])
        r = await sim.slash_command(chan, alice, "followup add @alice keep this one due:+1d")
        assert "Added" in body_text(r)
        await h.idle()
        before, posted = await followup_rows(h.db), len(sim.messages(chan))
        r = await sim.slash_command(chan, alice, text)
        await h.idle()
        reply = body_text(r)
        assert r.status == 200 and reason in reply and "Usage" in reply
        assert '"response_type": "ephemeral"' in r.body
        assert await followup_rows(h.db) == before
        assert len(sim.messages(chan)) == posted


async def test_who_may_close(db_url: str) -> None:
    from tests.e2e.harness import Harness

    async with Harness(db_url) as h:
        sim = h.sim
        owner, creator, ic, other = (sim.add_user(n) for n in ("owner", "creator", "ic", "other"))
        chan = sim.add_channel("inc-103", members=[owner, creator, ic, other])
        for _ in range(3):
            await sim.slash_command(chan, creator, "followup add @owner tidy up due:+2d")
        await h.idle()
        async with h.db.transaction() as s:
            incident = await incidents.get_by_channel(s, chan)
            assert incident is not None and incident.id is not None
            await incidents.apply_updates(s, incident.id, {"commander_id": ic})
        ids = [r["id"] for r in await followup_rows(h.db)]

        refused = body_text(await sim.slash_command(chan, other, f"followup done {ids[0]}"))
        assert "can't close" in refused and "Nothing was changed" in refused
        assert all(r["status"] == "open" for r in await followup_rows(h.db))

        for user, item in zip((owner, creator, ic), ids, strict=True):
            r = await sim.slash_command(chan, user, f"followup done #{item}")
            assert "Closed follow-up" in body_text(r)
        await h.idle()
        assert [r["done_by"] for r in await followup_rows(h.db)] == [owner, creator, ic]
        assert "already done" in body_text(await sim.slash_command(chan, owner, f"followup done {ids[0]}"))
        assert sum("closed follow-up" in m["text"] for m in sim.messages(chan)) == 3


async def test_list_mine_hides_private_channels_the_caller_is_not_in(db_url: str) -> None:
    from tests.e2e.harness import Harness

    async with Harness(db_url) as h:
        sim = h.sim
        alice, lead = sim.add_user("alice"), sim.add_user("lead")
        public = sim.add_channel("inc-104-public", members=[alice, lead])
        secret = sim.add_channel("inc-105-acquisition", members=[lead], is_private=True)
        elsewhere = sim.add_channel("random", members=[alice])
        await sim.slash_command(public, lead, "followup add @alice Patch the router due:+1d")
        await sim.slash_command(secret, lead, "followup add @alice Review the target's contracts due:+1d")
        await h.idle()
        assert len(await followup_rows(h.db)) == 2
        mine = body_text(await sim.slash_command(elsewhere, alice, "followup list mine"))
        assert "Patch the router" in mine and f"<#{public}>" in mine
        assert "contracts" not in mine and secret not in mine and "private channel" in mine
        # `list` (this incident) needs an incident channel.
        assert "incident channel" in body_text(await sim.slash_command(elsewhere, alice, "followup list"))


async def test_list_mine_shows_private_channel_items_to_its_members(db_url: str) -> None:
    from tests.e2e.harness import Harness

    async with Harness(db_url) as h:
        sim = h.sim
        alice, lead = sim.add_user("alice"), sim.add_user("lead")
        secret = sim.add_channel("inc-106-private", members=[alice, lead], is_private=True)
        elsewhere = sim.add_channel("random", members=[alice])
        await sim.slash_command(secret, lead, "followup add @alice Rotate the leaked key due:+1d")
        await h.idle()
        mine = body_text(await sim.slash_command(elsewhere, alice, "followup list mine"))
        assert "Rotate the leaked key" in mine


async def test_snooze_button_and_undeliverable_owner(db_url: str) -> None:
    from bot.followups.reminders import sweep as run_sweep
    from tests.e2e.harness import Harness

    async with Harness(db_url) as h:
        sim = h.sim
        alice, carol = sim.add_user("alice"), sim.add_user("carol")
        gone = sim.add_user("gone")
        chan = sim.add_channel("inc-106", members=[alice, carol, gone])
        await sim.slash_command(chan, carol, "followup add @alice Ship the fix due:2020-01-01")
        await sim.slash_command(chan, carol, "followup add @gone Old owner's task due:2020-01-01")
        await h.idle()
        sim.state.user(gone).deleted = True  # deactivated after the item was assigned
        h.services.gateway._users.drop(gone)
        result = await run_sweep(h.services, h.clock())
        assert (result.digests_sent, result.failed_permanent) == (1, 1)
        listing = body_text(await sim.slash_command(chan, carol, "followup list"))
        assert "reminder DM failed: deactivated" in listing
        # A deactivated user or a bot cannot be given a new item.
        refused = body_text(await sim.slash_command(chan, carol, "followup add @gone another task due:+1d"))
        assert "is deactivated" in refused and "Nothing was added" in refused
        sim.add_user("deploybot", is_bot=True)
        refused = body_text(await sim.slash_command(chan, carol, "followup add @deploybot run it due:+1d"))
        assert "is a bot" in refused
        assert len(await followup_rows(h.db)) == 2

        dm = dm_messages(sim, alice)[0]
        item_id = blocks.item_ids_in(dm["blocks"])[0]
        await sim.click_button(
            alice, dm_channel(sim, alice), dm["ts"], blocks.ACTION_SNOOZE_WEEK, str(item_id)
        )
        await h.idle()
        assert "Snoozed until" in str(dm_messages(sim, alice)[0]["blocks"])
        row = (await followup_rows(h.db))[0]
        assert row["snoozed_until"] is not None and row["next_remind_at"] == row["snoozed_until"]
        # Not reminded while snoozed, and the undeliverable item is not retried every sweep.
        calls = len(sim.calls)
        result = await run_sweep(h.services, h.clock())
        assert result.claimed == 0 and len(sim.calls) == calls
