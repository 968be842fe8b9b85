"""The foundation's request path: signed HTTP → Bolt → capture → database, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from bot.simulator.client import SignedSlackClient, new_event_id
from storage.db import Database
from tests.e2e.harness import Harness


async def count(db: Database, table: str, where: str = "1=1") -> int:
    async with db.session() as session:
        return int(
            (await session.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {where}"))).scalar_one()
        )


async def entry(db: Database, ts: str) -> dict[str, Any] | None:
    async with db.session() as session:
        row = (
            await session.execute(sa.text("SELECT * FROM timeline_entry WHERE ts = :ts"), {"ts": ts})
        ).mappings()
        found = row.first()
        return dict(found) if found else None


def client_for(h: Harness, url: str | None = None) -> SignedSlackClient:
    return SignedSlackClient(
        url or h.sim.bot_url or "",
        h.sim.signing_secret,
        team_id=h.sim.team_id,
        api_app_id=h.sim.app_id,
        bot_user_id=h.sim.bot_user_id,
    )


def message_event(channel: str, user: str, text: str, ts: str | None = None) -> dict[str, Any]:
    ts = ts or f"{time.time():.6f}"
    return {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "channel_type": "channel",
        "event_ts": ts,
    }


async def test_human_message_is_committed_with_its_kind(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-7", members=[alice])
        result = await h.sim.post_message(chan, alice, "Rolling back api-gateway to v2.13.2 now")
        assert result.status == 200
        row = await entry(h.db, result.ts)
        assert row is not None
        assert row["kind"] == "rollback"
        assert row["author_kind"] == "human"
        assert await count(h.db, "incident", f"channel_id = '{chan}'") == 1


async def test_bad_signature_is_401_and_stores_nothing(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-8", members=[alice])
        async with client_for(h) as client:
            response = await client.send_event(
                message_event(chan, alice, "deploying v2 to prod"), signing_secret="not-the-secret"
            )
        assert response.status == 401
        assert await count(h.db, "timeline_entry") == 0
        assert await count(h.db, "processed_event") == 0


async def test_timestamp_older_than_five_minutes_is_401(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-9", members=[alice])
        async with client_for(h) as client:
            response = await client.send_event(
                message_event(chan, alice, "ack"), timestamp=int(time.time()) - 301
            )
        assert response.status == 401
        assert await count(h.db, "timeline_entry") == 0


async def test_redelivered_event_creates_one_entry(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-10", members=[alice])
        event, event_id = message_event(chan, alice, "on it"), new_event_id()
        async with client_for(h) as client:
            statuses = [
                (
                    await client.send_event(
                        event, event_id=event_id, retry_num=n, retry_reason="http_timeout"
                    )
                ).status
                if n
                else (await client.send_event(event, event_id=event_id)).status
                for n in range(3)
            ]
        assert statuses == [200, 200, 200]
        assert await count(h.db, "timeline_entry") == 1
        assert await count(h.db, "processed_event") == 1


async def test_same_message_under_new_event_id_is_still_one_entry(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-11", members=[alice])
        event = message_event(chan, alice, "looking")
        async with client_for(h) as client:
            for _ in range(2):
                assert (await client.send_event(event)).status == 200
        assert await count(h.db, "timeline_entry") == 1


async def test_edit_updates_and_reclassifies_entry(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-12", members=[alice])
        posted = await h.sim.post_message(chan, alice, "thanks all")
        before = await entry(h.db, posted.ts)
        assert before is not None and before["kind"] == "other"
        assert await h.sim.edit_message(chan, posted.ts, "Rolling back checkout to v1.4.2") == 200
        after = await entry(h.db, posted.ts)
        assert after is not None
        assert after["text"] == "Rolling back checkout to v1.4.2"
        assert after["kind"] == "rollback"
        assert after["edited_at"] is not None


async def test_delete_removes_entry_from_timeline(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-13", members=[alice])
        posted = await h.sim.post_message(chan, alice, "deploying v2 to prod")
        assert await h.sim.delete_message(chan, posted.ts) == 200
        row = await entry(h.db, posted.ts)
        assert row is not None and row["deleted_at"] is not None
        from storage import entries as entry_store

        async with h.db.session() as session:
            assert await entry_store.timeline(session, row["incident_id"]) == []


async def test_thread_reply_is_captured_with_thread_ts(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-14", members=[alice])
        parent = await h.sim.post_message(chan, alice, "api-gateway is throwing 5xx")
        reply = await h.sim.post_message(chan, alice, "rolling back to 2.13.2", thread_ts=parent.ts)
        row = await entry(h.db, reply.ts)
        assert row is not None
        assert row["thread_ts"] == parent.ts
        assert row["kind"] == "rollback"


async def test_bots_own_messages_are_ignored(db_url: str) -> None:
    async with Harness(db_url) as h:
        chan = h.sim.add_channel("incident-15")
        event = message_event(chan, h.sim.bot_user_id, "Post-mortem draft v1 posted")
        event["bot_id"] = h.sim.bot_id
        async with client_for(h) as client:
            assert (await client.send_event(event)).status == 200
        assert await count(h.db, "timeline_entry") == 0


async def test_non_incident_channel_costs_no_write(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("random", members=[alice])
        result = await h.sim.post_message(chan, alice, "deploying v2 to prod")
        assert result.status == 200
        for table in ("timeline_entry", "incident", "processed_event"):
            assert await count(h.db, table) == 0


async def test_integration_attachment_is_flattened_and_typed(db_url: str) -> None:
    async with Harness(db_url) as h:
        am = h.sim.add_user("Alertmanager", is_bot=True)
        chan = h.sim.add_channel("incident-16")
        attachments = [
            {
                "title": "[FIRING:2] HighErrorRate (checkout critical)",
                "text": "*Alert:* checkout 5xx above 5% - `critical`",
                "color": "danger",
            }
        ]
        result = await h.sim.post_message(
            chan, am, "", attachments=attachments, bot_id=h.sim.state.user(am).bot_id, username="Alertmanager"
        )
        row = await entry(h.db, result.ts)
        assert row is not None
        assert row["kind"] == "alert_firing"
        assert row["author_kind"] == "bot"
        assert "[FIRING:2] HighErrorRate" in row["text"]


async def test_two_replicas_sharing_postgres_store_one_entry(pg_url: str) -> None:
    import asyncio

    h = Harness(pg_url)
    await h.start(replicas=2)
    try:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-17", members=[alice])
        event, event_id = message_event(chan, alice, "IC here, taking over"), new_event_id()
        clients = [client_for(h, f"{bot.url}/slack/events") for bot in h.bots]
        try:
            responses = await asyncio.gather(
                *(c.send_event(event, event_id=event_id) for c in clients for _ in range(3))
            )
        finally:
            for c in clients:
                await c.close()
        assert {r.status for r in responses} == {200}
        assert await count(h.db, "timeline_entry") == 1
        assert await count(h.db, "processed_event") == 1
    finally:
        await h.stop()
