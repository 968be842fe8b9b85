"""Channel events end to end: a public incident channel is joined when created or renamed to match
SCRIBE_CHANNEL_PATTERN (and its history read from the start); a mention of the bot gets the help."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.e2e.harness import Harness

BROADCAST = re.compile(r"<!(?:channel|here|everyone)\b")


async def test_channel_created_with_an_incident_name_is_joined(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = await h.sim.create_channel("inc-2231-payments", alice)
        other = await h.sim.create_channel("random-chat", alice)
        await h.idle()
        await h.sim.settle()
        assert [c.params["channel"] for c in h.sim.calls_to("conversations.join")] == [chan]
        assert h.sim.bot_user_id in h.sim.state.channel(chan).members
        assert h.sim.bot_user_id not in h.sim.state.channel(other).members
        # Joined, the bot captures from then on.
        posted = await h.sim.post_message(chan, alice, "[FIRING:1] PaymentsErrors (payments)")
        async with h.db.session() as session:
            kinds = (
                await session.execute(
                    sa.text("SELECT kind FROM timeline_entry WHERE ts = :t"), {"t": posted.ts}
                )
            ).scalars()
            assert list(kinds) == ["alert_firing"]


async def test_channel_renamed_to_match_is_joined_and_read_from_the_start(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = await h.sim.create_channel("payments-errors", alice)
        early = await h.sim.post_message(chan, alice, "deploying payments v4.2 to prod")
        assert not h.sim.calls_to("conversations.join")
        await h.sim.rename_channel(chan, "incident-payments-errors", alice)
        await h.idle()
        await h.sim.settle()
        await h.idle()
        assert [c.params["channel"] for c in h.sim.calls_to("conversations.join")] == [chan]
        async with h.db.session() as session:
            row = (
                await session.execute(
                    sa.text("SELECT kind, capture FROM timeline_entry WHERE ts = :t"), {"t": early.ts}
                )
            ).one()
        assert (row.kind, row.capture) == ("deploy", "backfill")


async def test_private_channel_renamed_to_match_is_not_joined(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("secret-stuff", members=[alice], is_private=True, bot_member=False)
        await h.sim.rename_channel(chan, "incident-secret", alice)
        await h.idle()
        assert not h.sim.calls_to("conversations.join")


async def test_app_mention_gets_the_help_ephemerally_and_never_broadcasts(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("general", members=[alice])
        before = len(h.sim.messages(chan))
        await h.sim.post_message(chan, alice, f"<@{h.sim.bot_user_id}> what can you do? <!channel>")
        await h.idle()
        await h.sim.settle()
        [help_reply] = h.sim.ephemerals(chan, alice)
        assert "/postmortem draft" in help_reply["text"]
        assert not BROADCAST.search(help_reply["text"])
        assert len(h.sim.messages(chan)) == before + 1  # nothing posted to everyone
        mentions = [d for d in h.sim.deliveries if d.payload.get("event", {}).get("type") == "app_mention"]
        assert [d.status for d in mentions] == [200]
