"""Text from a private incident channel reaches no one who is not known to be in it: reminder DMs,
escalation DMs and command replies fail closed when Slack cannot confirm membership, and a refused
action names no one."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.followups.reminders import sweep
from bot.followups.service import snooze_item
from storage import followups as store
from storage import incidents
from tests.e2e.harness import Harness

SECRET = "Review the acquisition target's contracts"


def dm_texts(h: Harness, user: str) -> str:
    out = []
    for ch in h.sim.state.channels.values():
        if ch.im_user == user:
            out.extend(json.dumps(m) for m in h.sim.messages(ch.id))
    return "\n".join(out)


def reply_text(result: Any) -> str:
    try:
        return str(json.loads(result.body).get("text", ""))
    except ValueError:
        return str(result.body)


async def item_ids(h: Harness) -> list[int]:
    async with h.db.session() as s:
        return [int(r) for r in (await s.execute(sa.select(store.T.c.id).order_by(store.T.c.id))).scalars()]


async def private_item(h: Harness, owner: str, lead: str) -> str:
    secret = h.sim.add_channel("inc-301-acquisition", members=[lead], is_private=True)
    result = await h.sim.slash_command(secret, lead, f"followup add <@{owner}> {SECRET} due:2020-01-01")
    assert "Added follow-up" in reply_text(result), reply_text(result)
    await h.idle()
    return secret


async def test_reminder_hides_private_text_when_membership_is_unknown(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice, lead = h.sim.add_user("alice"), h.sim.add_user("lead")
        await private_item(h, alice, lead)
        # Slack cannot say who is in the channel right now: not a reason to show its text.
        h.sim.fail_method("conversations.members", "internal_error")
        result = await sweep(h.services, datetime.now(UTC))
        assert result.digests_sent == 1
        dm = dm_texts(h, alice)
        assert dm, "the owner was reminded"
        assert "acquisition" not in dm and "contracts" not in dm and "private channel" in dm


async def test_reminder_shows_private_text_to_a_confirmed_member(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice, lead = h.sim.add_user("alice"), h.sim.add_user("lead")
        secret = await private_item(h, alice, lead)
        h.sim.state.join(h.sim.state.channels[secret], alice)
        await sweep(h.services, datetime.now(UTC))
        assert "contracts" in dm_texts(h, alice)


async def test_escalation_to_a_commander_outside_the_channel_stays_in_the_channel(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice, lead, boss = h.sim.add_user("alice"), h.sim.add_user("lead"), h.sim.add_user("boss")
        secret = await private_item(h, alice, lead)
        async with h.db.transaction() as s:
            row = await incidents.get_by_channel(s, secret)
            assert row is not None
            await incidents.apply_updates(s, row.id, {"commander_id": boss})
        result = await sweep(h.services, datetime.now(UTC) + timedelta(days=1))
        assert result.escalations_sent == 1
        assert "contracts" not in dm_texts(h, boss)
        assert any("overdue" in m.get("text", "") for m in h.sim.messages(secret))


async def test_refused_close_names_no_one(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice, lead, mallory = h.sim.add_user("alice"), h.sim.add_user("lead"), h.sim.add_user("mallory")
        secret = await private_item(h, alice, lead)
        elsewhere = h.sim.add_channel("random", members=[mallory])
        (item,) = await item_ids(h)
        refused = reply_text(await h.sim.slash_command(elsewhere, mallory, f"followup done {item}"))
        assert "can't close" in refused and "Nothing was changed" in refused
        assert alice not in refused and lead not in refused and "<@" not in refused
        assert secret not in refused and "contracts" not in refused


async def test_a_commander_outside_a_private_channel_cannot_close_or_snooze_its_items(db_url: str) -> None:
    """Anyone can be named commander of a private incident; acting on its items by id from another
    channel takes being able to read the channel (known, not assumed)."""
    async with Harness(db_url) as h:
        alice, lead, mallory = h.sim.add_user("alice"), h.sim.add_user("lead"), h.sim.add_user("mallory")
        secret = await private_item(h, alice, lead)
        deputy = h.sim.add_user("deputy")
        h.sim.state.join(h.sim.state.channels[secret], deputy)
        await h.sim.slash_command(secret, lead, f"ic <@{mallory}>")
        async with h.db.session() as s:
            row = await incidents.get_by_channel(s, secret)
            assert row is not None and row.commander_id == mallory
        elsewhere = h.sim.add_channel("inc-302-public", members=[mallory])
        (item,) = await item_ids(h)
        refused = reply_text(await h.sim.slash_command(elsewhere, mallory, f"followup done {item}"))
        assert "can't close" in refused and "Nothing was changed" in refused, refused
        snoozed = await snooze_item(h.services, item, mallory, datetime.now(UTC), timedelta(days=2))
        assert snoozed.status == "forbidden"  # the reminder's button: the same rule
        h.sim.fail_method("conversations.members", "internal_error")  # unknown is not "yes"
        refused = reply_text(await h.sim.slash_command(elsewhere, mallory, f"followup done {item}"))
        assert "can't close" in refused, refused
        h.sim.clear_faults()
        async with h.db.session() as s:
            assert (await store.get(s, item)).status == "open"  # type: ignore[union-attr]

        await h.sim.slash_command(secret, lead, f"ic <@{deputy}>")  # a commander in the channel may
        h.sim.state.join(h.sim.state.channels[elsewhere], deputy)
        closed = reply_text(await h.sim.slash_command(elsewhere, deputy, f"followup done {item}"))
        assert "Closed follow-up" in closed, closed


async def test_someone_who_left_a_private_channel_stops_seeing_its_text_at_once(db_url: str) -> None:
    """The member list is cached for minutes; `member_left_channel` drops it, so the next reminder
    after leaving hides the text instead of trusting the list from before."""
    async with Harness(db_url) as h:
        alice, lead = h.sim.add_user("alice"), h.sim.add_user("lead")
        secret = await private_item(h, alice, lead)
        h.sim.state.join(h.sim.state.channels[secret], alice)
        now = datetime.now(UTC)
        await sweep(h.services, now)
        assert "contracts" in dm_texts(h, alice)  # a member: the list is now cached

        await h.sim.member_left(secret, alice)
        await h.idle()
        before = dm_texts(h, alice)
        async with h.db.transaction() as s:  # due again (as a day later), without moving the clock
            await s.execute(sa.update(store.T).values(next_remind_at=now - timedelta(minutes=1)))
        assert (await sweep(h.services, datetime.now(UTC))).digests_sent == 1
        reminder = dm_texts(h, alice)[len(before) :]
        assert reminder and "contracts" not in reminder and "private channel" in reminder
