"""Capture engine end to end: integration messages, steering by responders, backfill, team rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.e2e.harness import Harness


async def entry(h: Harness, ts: str) -> dict[str, Any] | None:
    async with h.db.session() as session:
        rows = await session.execute(sa.text("SELECT * FROM timeline_entry WHERE ts = :ts"), {"ts": ts})
        found = rows.mappings().first()
        if not found:
            return None
        row = dict(found)
        # Raw SQL hands JSON columns back as text on some drivers.
        if isinstance(row["refs"], str):
            row["refs"] = json.loads(row["refs"])
        return row


async def live_ts(h: Harness) -> set[str]:
    async with h.db.session() as session:
        rows = await session.execute(
            sa.text("SELECT ts FROM timeline_entry WHERE deleted_at IS NULL AND hidden = :f"), {"f": False}
        )
        return set(rows.scalars())


def bot(h: Harness, name: str) -> tuple[str, str]:
    user = h.sim.add_user(name, is_bot=True)
    return user, h.sim.state.user(user).bot_id


async def test_integrations_and_humans_become_typed_entries(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-4821", members=[alice])
        am_user, am_bot = bot(h, "Alertmanager")
        pd_user, pd_bot = bot(h, "PagerDuty")
        argo_user, argo_bot = bot(h, "argocd")

        fired = await h.sim.post_message(
            chan,
            am_user,
            "",
            bot_id=am_bot,
            username="Alertmanager",
            attachments=[
                {
                    "color": "danger",
                    "title": "[FIRING:1] KubePodCrashLooping (checkout prod critical)",
                    "title_link": "http://alertmanager.local/#/alerts",
                    "text": "*Alert:* Pod checkout-7d9 is crash looping - `critical`",
                }
            ],
        )
        acked = await h.sim.post_message(
            chan,
            pd_user,
            "",
            bot_id=pd_bot,
            username="PagerDuty",
            attachments=[
                {
                    "color": "#FFAE42",
                    "title": "#4521 KubePodCrashLooping checkout",
                    "text": "Acknowledged by Alice Example",
                    "footer": "PagerDuty",
                }
            ],
        )
        synced = await h.sim.post_message(
            chan,
            argo_user,
            "",
            bot_id=argo_bot,
            username="argocd",
            attachments=[
                {
                    "title": "checkout",
                    "title_link": "https://argocd.local/applications/checkout",
                    "color": "#18be52",
                    "text": "Application checkout has been successfully synced at 2026-02-10T10:00:00Z.",
                    "fields": [
                        {"title": "Sync Status", "value": "Synced", "short": True},
                        {"title": "Repository", "value": "https://git.local/checkout.git", "short": True},
                        {"title": "Revision", "value": "a1b2c3d", "short": True},
                    ],
                }
            ],
        )
        human = await h.sim.post_message(chan, alice, "rolling back checkout to v1.4.2")
        for result in (fired, acked, synced, human):
            assert result.status == 200

        kinds = {ts: (await entry(h, ts)) for ts in (fired.ts, acked.ts, synced.ts, human.ts)}
        assert kinds[fired.ts]["kind"] == "alert_firing"  # type: ignore[index]
        assert kinds[acked.ts]["kind"] == "ack"  # type: ignore[index]
        assert kinds[synced.ts]["kind"] == "deploy"  # type: ignore[index]
        assert kinds[human.ts]["kind"] == "rollback"  # type: ignore[index]
        assert kinds[human.ts]["refs"].get("version") == "v1.4.2"  # type: ignore[index]
        assert kinds[synced.ts]["refs"].get("service") == "checkout"  # type: ignore[index]


async def test_capture_reaction_adds_and_removal_takes_out(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-1", members=[alice])
        posted = await h.sim.post_message(chan, alice, "customer support says EU users see blank pages")
        assert (await entry(h, posted.ts))["kind"] == "other"  # type: ignore[index]

        assert await h.sim.add_reaction(chan, posted.ts, alice, "pushpin") == 200
        row = await entry(h, posted.ts)
        assert row is not None and row["kind"] == "note" and row["capture"] == "reaction"
        assert posted.ts in await live_ts(h)

        assert await h.sim.remove_reaction(chan, posted.ts, alice, "pushpin") == 200
        assert posted.ts not in await live_ts(h)


async def test_capture_reaction_on_message_the_bot_never_saw(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-2", members=[alice])
        missed = await h.sim.post_message(chan, alice, "deploying the hotfix to prod", deliver=False)
        assert await entry(h, missed.ts) is None
        await h.sim.add_reaction(chan, missed.ts, alice, "pushpin")
        await h.idle()
        row = await entry(h, missed.ts)
        assert row is not None and row["kind"] == "deploy" and row["capture"] == "reaction"
        assert row["author_name"] == "alice"  # read from Slack without a profile: named as live ones


async def test_undo_reaction_takes_auto_entry_out(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-3", members=[alice])
        posted = await h.sim.post_message(chan, alice, "deploying v2 to prod")
        assert posted.ts in await live_ts(h)
        await h.sim.add_reaction(chan, posted.ts, alice, "x")
        assert posted.ts not in await live_ts(h)


async def test_auto_captured_events_are_marked_for_responders(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-4", members=[alice])
        deploy = await h.sim.post_message(chan, alice, "deploying api v2.1 to prod")
        chatter = await h.sim.post_message(chan, alice, "coffee anyone?")
        await h.idle()
        marked = {c.params.get("timestamp") for c in h.sim.calls_to("reactions.add")}
        assert deploy.ts in marked and chatter.ts not in marked


async def test_message_shortcut_adds_to_timeline(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-5", members=[alice])
        posted = await h.sim.post_message(chan, alice, "the dashboard shows p99 at 4s", deliver=False)
        status = await h.sim.message_shortcut("add_to_timeline", chan, posted.ts, alice)
        assert status == 200
        row = await entry(h, posted.ts)
        assert row is not None and row["capture"] == "shortcut" and row["kind"] == "note"


async def test_note_command_adds_entry_now(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-6", members=[alice])
        result = await h.sim.slash_command(chan, alice, "note customer comms sent via status page")
        assert result.status == 200
        async with h.db.session() as session:
            rows = (await session.execute(sa.text("SELECT kind, capture, text FROM timeline_entry"))).all()
        assert [(r.kind, r.capture) for r in rows] == [("note", "note")]
        assert rows[0].text == "customer comms sent via status page"


async def test_backfill_after_outage_fills_exactly_the_missing_messages(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-7", members=[alice])
        seen = await h.sim.post_message(chan, alice, "ack, looking")
        # The bot is down: Slack keeps the messages but nothing reaches /slack/events.
        missed = [
            await h.sim.post_message(chan, alice, "deploying checkout v3.1.0 to prod", deliver=False),
            await h.sim.post_message(chan, alice, "rolling back checkout to v3.0.9", deliver=False),
        ]
        reply = await h.sim.post_message(
            chan, alice, "rollback finished", thread_ts=missed[1].ts, deliver=False
        )
        from bot.capture.backfill import backfill_open_incidents

        added = await backfill_open_incidents(h.services)
        assert added == 3
        assert await live_ts(h) == {seen.ts, missed[0].ts, missed[1].ts, reply.ts}
        assert (await entry(h, reply.ts))["thread_ts"] == missed[1].ts  # type: ignore[index]
        assert await backfill_open_incidents(h.services) == 0  # idempotent
        async with h.db.session() as session:
            total = (await session.execute(sa.text("SELECT count(*) FROM timeline_entry"))).scalar_one()
        assert total == 4


async def test_bot_joining_late_backfills_the_channel(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-8", members=[alice], bot_member=False)
        early = await h.sim.post_message(chan, alice, "[FIRING:1] HighLatency (search)")
        assert early.status is None or await entry(h, early.ts) is None
        assert await h.sim.member_joined(chan, h.sim.bot_user_id) == 200
        await h.idle()
        row = await entry(h, early.ts)
        assert row is not None and row["capture"] == "backfill"


async def test_rules_file_changes_a_custom_bots_classification(db_url: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "rules:\n"
        "  - name: shipit\n"
        "    bot_name: shipit\n"
        "    pattern: 'shipped (?P<service>[\\w-]+) (?P<version>v[\\d.]+)'\n"
        "    kind: deploy\n",
        encoding="utf-8",
    )
    async with Harness(db_url, scribe_rules_file=rules) as h:
        chan = h.sim.add_channel("incident-9")
        user, bot_id = bot(h, "shipit")
        result = await h.sim.post_message(
            chan, user, "shipped payments v9.9.1", bot_id=bot_id, username="shipit"
        )
        row = await entry(h, result.ts)
        assert row is not None and row["kind"] == "deploy"
        assert row["refs"] == {"service": "payments", "version": "v9.9.1"}
