"""The Slack edge under pressure: a 429 storm inside the ack, a burst of events in a channel the bot has
not looked up yet, and rate limits in work that runs after the ack."""

from __future__ import annotations

import asyncio
import time

import pytest
import sqlalchemy as sa

from bot.slack.gateway import GatewayError
from tests.e2e.harness import Harness


async def entries_in(h: Harness, channel: str) -> int:
    async with h.db.session() as session:
        return int(
            (
                await session.execute(
                    sa.text("SELECT count(*) FROM timeline_entry WHERE channel_id = :c"), {"c": channel}
                )
            ).scalar_one()
        )


async def test_429_storm_on_conversations_info_keeps_the_ack_fast_and_loses_nothing(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-storm", members=[alice])
        # Slack asks for half a minute of patience; slack-sdk's handler would have waited it out.
        h.sim.inject_rate_limit("conversations.info", count=1000, retry_after=30)
        started = time.perf_counter()
        first = await h.sim.post_message(chan, alice, "deploying api-gateway v2.14.0 to prod")
        elapsed = time.perf_counter() - started
        assert elapsed < 3.0, elapsed
        # Not acknowledged as a success, so Slack delivers it again later rather than dropping it.
        assert first.status is not None and first.status >= 500
        assert len(h.sim.calls_to("conversations.info")) == 1  # tried once, no retries in the ack
        assert await entries_in(h, chan) == 0

        h.sim.clear_faults()
        assert first.event_id is not None
        assert await h.sim.redeliver(first.event_id, retry_num=1, retry_reason="http_error") == 200
        assert await entries_in(h, chan) == 1


async def test_fifty_concurrent_events_in_a_new_channel_make_one_lookup(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-burst", members=[alice])
        h.sim.reset_calls()
        results = await asyncio.gather(
            *(h.sim.post_message(chan, alice, f"looking at shard {i}, errors still high") for i in range(50))
        )
        assert [r.status for r in results] == [200] * 50
        lookups = [c for c in h.sim.calls_to("conversations.info") if c.params.get("channel") == chan]
        assert len(lookups) == 1
        assert await entries_in(h, chan) == 50


async def test_rate_limit_fails_fast_on_the_request_path_and_is_waited_out_in_the_background(
    db_url: str,
) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-bg", members=[alice])
        gateway = h.services.gateway

        h.sim.inject_rate_limit("conversations.info", count=1, retry_after=7)
        with pytest.raises(GatewayError) as info:
            await gateway.channel_info(chan)
        assert info.value.rate_limited and info.value.retry_after == 7 and info.value.error == "ratelimited"

        h.sim.inject_rate_limit("conversations.info", count=1, retry_after=1)
        started = time.perf_counter()
        task = h.services.tasks.spawn(gateway.channel_info(chan), name="lookup after the ack")
        found = await asyncio.wait_for(task, 10)
        assert found is not None and found["name"] == "incident-bg"
        assert time.perf_counter() - started >= 1.0  # Retry-After was honoured, then it succeeded
        outcomes = {
            (s.labels["method"], s.labels["outcome"]): s.value
            for metric in gateway.metrics.web_api_calls.collect()
            for s in metric.samples
            if s.name.endswith("_total")
        }
        assert outcomes[("conversations.info", "rate_limited")] == 2
        assert outcomes[("conversations.info", "ok")] == 1


async def requests_by_outcome(h: Harness) -> dict[str, float]:
    return {
        s.labels["outcome"]: s.value
        for metric in h.services.metrics.registry.collect()
        if metric.name == "scribe_slack_requests"
        for s in metric.samples
        if s.name.endswith("_total")
    }


async def test_forged_or_malformed_requests_get_a_4xx_and_nothing_of_them_is_logged(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with Harness(db_url) as h:
        client = h.sim.client
        client.url = h.sim.bot_url
        unsigned = [b"{{{", b"[1,2]", b"\xff\xfe not utf-8", b"payload=zz", b'{"type":"event_callback"}']
        for body in unsigned:
            res = await client.send_raw(body, "application/json", signed=False)
            assert res.status == 401, (body, res)
        # Not UTF-8, with a fresh timestamp and a made-up signature (slack_sdk would raise decoding it).
        fresh = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=00"}
        res = await client.send_raw(b"\xff\xfe\x00", "application/json", signed=False, headers=fresh)
        assert res.status == 401
        res = await client.send_raw(b"\xff\xfe\x00", "application/json")  # signed, still not Slack's
        assert res.status == 401
        # A timestamp that is not a number, with any signature: not Slack's.
        res = await client.send_raw(b"{}", "application/json", headers={"X-Slack-Request-Timestamp": "abc"})
        assert res.status == 401
        secret_text = "the private plan is in the vault"
        forged = client.envelope({"type": "message", "channel": "C1", "text": secret_text, "ts": "1.2"})
        assert (await client.send_envelope(forged, signing_secret="not-the-secret")).status == 401
        assert secret_text not in caplog.text  # Bolt's own check logged the whole body at INFO

        # Signed by Slack's secret but not shaped as Slack shapes its payloads: 400, one warning.
        channel = h.sim.add_channel("incident-shapes")
        shapes: list[dict[str, object]] = [
            {"type": "message"},  # no channel: fine shape-wise (Bolt ignores it), kept as a control
            {"type": "message", "channel": 42, "text": "x", "ts": "1.2"},
            {"type": "message", "channel": channel, "text": "x", "ts": "notats"},
            {"type": "message", "channel": channel, "text": {"not": "text"}, "ts": "1.2"},
            {"type": "channel_rename", "channel": channel},
            {"type": "reaction_added", "item": "x", "reaction": "pushpin"},
            {
                "type": "message",
                "subtype": "message_changed",
                "channel": channel,
                "message": "x",
                "ts": "1.3",
            },
            {"type": "message", "channel": channel, "user": {"id": 1}, "text": "x", "ts": "1.4"},
        ]
        statuses = [(await client.send_event(e)).status for e in shapes]
        assert statuses == [200, 400, 400, 400, 400, 400, 400, 400], statuses
        user, chan = {"id": "U1"}, {"id": channel}
        interactions = [
            {"type": "block_actions", "user": user, "actions": "x"},
            {
                "type": "message_action",
                "user": user,
                "channel": chan,
                "message": 5,
                "response_url": "http://x",
            },
            {"type": "message_action", "callback_id": "capture", "user": "U1", "channel": chan},
        ]
        assert [(await client.send_interaction(i)).status for i in interactions] == [400, 400, 400]
        no_challenge = {"token": client.verification_token, "type": "url_verification"}
        assert (await client.send_envelope(no_challenge)).status == 400
        not_an_event = client.envelope({"type": "message"})
        not_an_event["event"] = "a string"
        assert (await client.send_envelope(not_an_event)).status == 400
        for body in (b"null", b"[]", b"{{{"):
            assert (await client.send_raw(body, "application/json")).status == 400
        assert (
            await client.send_command({"command": "/postmortem", "text": "help", "user_id": "U1"})
        ).status == 400

        outcomes = await requests_by_outcome(h)
        assert outcomes.get("unauthorized") == 9 and outcomes.get("rejected") == 16, outcomes
        assert "error" not in outcomes  # nothing here is the bot's fault: no alert fires
        assert "Traceback" not in caplog.text
