"""The simulator talks Slack: slack_sdk's own client and a real Bolt app are its counterparts here."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.simulator.client import SignedSlackClient, new_event_id, sign
from bot.simulator.server import SlackSimulator
from bot.simulator.state import escape_command_text


@pytest.fixture
async def sim() -> AsyncIterator[SlackSimulator]:
    simulator = SlackSimulator()
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def web_client(sim: SlackSimulator) -> AsyncIterator[AsyncWebClient]:
    client = AsyncWebClient(token=sim.bot_token, base_url=sim.api_url)
    yield client
    if client.session is not None:
        await client.session.close()


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def api_error(call: Any) -> str:
    with pytest.raises(SlackApiError) as info:
        await call
    return str(info.value.response["error"])


# -- signatures -------------------------------------------------------------------------------------
def test_signature_matches_slack_sdk_verifier() -> None:
    body, now = b'{"type":"event_callback"}', int(time.time())
    verifier = SignatureVerifier("s3cret")
    assert sign(body, now, "s3cret") == verifier.generate_signature(timestamp=str(now), body=body)
    headers = {"x-slack-request-timestamp": str(now), "x-slack-signature": sign(body, now, "s3cret")}
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body, {**headers, "x-slack-signature": sign(body, now, "other")})
    stale = now - 6 * 60
    assert not verifier.is_valid_request(
        body, {"x-slack-request-timestamp": str(stale), "x-slack-signature": sign(body, stale, "s3cret")}
    )


async def test_signed_client_requests_verify_and_carry_retry_headers() -> None:
    seen: list[tuple[dict[str, str], bytes]] = []
    verifier = SignatureVerifier("s3cret")

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        seen.append((dict(request.headers), body))
        ok = verifier.is_valid_request(body, dict(request.headers))
        return web.Response(status=200 if ok else 401)

    app = web.Application()
    app.router.add_post("/slack/events", receive)
    runner, url = await serve(app)
    try:
        async with SignedSlackClient(f"{url}/slack/events", "s3cret") as client:
            event = {"type": "message", "channel": "C1", "user": "U1", "text": "hi", "ts": "1.000001"}
            first = await client.send_event(event, event_id="Ev1", retry_num=2, retry_reason="http_error")
            assert first.status == 200
            assert (await client.send_event(event, signing_secret="wrong")).status == 401
            assert (await client.send_event(event, timestamp=int(time.time()) - 600)).status == 401
            assert (await client.send_command({"command": "/postmortem", "text": "help"})).status == 200
            assert (await client.send_interaction({"type": "block_actions"})).status == 200
        headers, body = seen[0]
        envelope = json.loads(body)
        assert headers["X-Slack-Retry-Num"] == "2" and headers["X-Slack-Retry-Reason"] == "http_error"
        assert envelope["type"] == "event_callback" and envelope["event_id"] == "Ev1"
        assert envelope["authorizations"][0]["is_bot"] is True
        assert {
            "token",
            "team_id",
            "api_app_id",
            "event_time",
            "event_context",
            "is_ext_shared_channel",
        } <= set(envelope)
        assert seen[3][0]["Content-Type"] == "application/x-www-form-urlencoded"
        assert seen[4][1].startswith(b"payload=")
        assert new_event_id().startswith("Ev") and new_event_id() != new_event_id()
    finally:
        await runner.cleanup()


# -- Web API through slack_sdk ---------------------------------------------------------------------
async def test_auth(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    auth = await web_client.auth_test()
    assert auth["user_id"] == sim.bot_user_id and auth["bot_id"] == sim.bot_id
    assert auth["team_id"] == sim.team_id and auth["url"].startswith("https://")
    assert auth["is_enterprise_install"] is False
    assert "chat:write" in auth.headers["x-oauth-scopes"]
    bad = AsyncWebClient(token="xoxb-wrong", base_url=sim.api_url)
    assert await api_error(bad.auth_test()) == "invalid_auth"
    assert await api_error(AsyncWebClient(base_url=sim.api_url).auth_test()) == "not_authed"
    assert [c.error for c in sim.calls_to("auth.test")] == [None, "invalid_auth", "not_authed"]


async def test_history_pagination_and_window(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    alice = sim.add_user("alice")
    chan = sim.add_channel("incident-1", members=[alice])
    posted = [(await sim.post_message(chan, alice, f"m{i}", deliver=False)).ts for i in range(25)]
    assert posted == sorted(posted, key=lambda t: tuple(map(int, t.split(".")))) and len(set(posted)) == 25

    pages = [dict(page.data) async for page in await web_client.conversations_history(channel=chan, limit=10)]
    assert [len(p["messages"]) for p in pages] == [10, 10, 5]
    assert [m["ts"] for p in pages for m in p["messages"]] == posted[::-1]
    assert pages[0]["has_more"] is True and pages[-1]["has_more"] is False

    window = await web_client.conversations_history(channel=chan, oldest=posted[5], latest=posted[9])
    assert [m["text"] for m in window["messages"]] == ["m8", "m7", "m6"]
    window = await web_client.conversations_history(
        channel=chan, oldest=posted[5], latest=posted[9], inclusive=True
    )
    assert [m["text"] for m in window["messages"]] == ["m9", "m8", "m7", "m6", "m5"]
    assert (
        await api_error(web_client.conversations_history(channel=chan, cursor="bogus!")) == "invalid_cursor"
    )


async def test_explicit_historical_ts_and_threads(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    alice = sim.add_user("alice")
    chan = sim.add_channel("incident-2", members=[alice])
    parent = await sim.post_message(chan, alice, "root", ts="1760000000.000100", deliver=False)
    for i in range(5):
        await sim.post_message(chan, alice, f"r{i}", thread_ts=parent.ts, deliver=False)
    history = await web_client.conversations_history(channel=chan)
    assert len(history["messages"]) == 1  # replies stay in the thread
    root = history["messages"][0]
    assert root["ts"] == "1760000000.000100" and root["reply_count"] == 5 and root["thread_ts"] == parent.ts
    pages = [
        dict(p.data)
        async for p in await web_client.conversations_replies(channel=chan, ts=parent.ts, limit=4)
    ]
    texts = [m["text"] for p in pages for m in p["messages"]]
    assert texts == ["root", "r0", "r1", "r2", "r3", "r4"]
    assert all(m["thread_ts"] == parent.ts for p in pages for m in p["messages"])
    assert (
        await api_error(web_client.conversations_replies(channel=chan, ts="1.000000")) == "thread_not_found"
    )


async def test_lists_members_and_users(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    people = [sim.add_user(f"u{i}", tz="Europe/Paris") for i in range(7)]
    for i in range(5):
        sim.add_channel(f"incident-{i}", members=people)
    sim.add_channel("secret-bot-absent", is_private=True, bot_member=False)
    secret = sim.add_channel("secret-bot-present", is_private=True)
    pages = [
        dict(p.data)
        async for p in await web_client.conversations_list(types="public_channel,private_channel", limit=2)
    ]
    names = [c["name"] for p in pages for c in p["channels"]]
    assert len(pages) == 3 and "secret-bot-present" in names and "secret-bot-absent" not in names
    chan = sim.channel_id("incident-0")
    members = [
        m async for p in await web_client.conversations_members(channel=chan, limit=3) for m in p["members"]
    ]
    assert members == [*people, sim.bot_user_id]
    info = await web_client.conversations_info(channel=secret)
    assert info["channel"]["is_private"] is True and info["channel"]["is_member"] is True
    user = (await web_client.users_info(user=people[0]))["user"]
    assert user["tz"] == "Europe/Paris" and user["tz_offset"] in (3600, 7200) and user["is_bot"] is False
    assert await api_error(web_client.users_info(user="U404")) == "user_not_found"
    assert await api_error(web_client.conversations_info(channel="C404")) == "channel_not_found"


async def test_membership_rules(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    public = sim.add_channel("incident-public", bot_member=False)
    private = sim.add_channel("incident-private", is_private=True, bot_member=False)
    assert await api_error(web_client.chat_postMessage(channel=public, text="x")) == "not_in_channel"
    assert await api_error(web_client.conversations_history(channel=public)) == "not_in_channel"
    assert await api_error(web_client.chat_postMessage(channel=private, text="x")) == "channel_not_found"
    assert await api_error(web_client.conversations_join(channel=private)) == "channel_not_found"
    joined = await web_client.conversations_join(channel=public)
    assert joined["channel"]["is_member"] is True
    again = await web_client.conversations_join(channel=public)
    assert again["warning"] == "already_in_channel"
    posted = await web_client.chat_postMessage(channel=public, text="hello")
    assert posted["message"]["bot_id"] == sim.bot_id and posted["message"]["user"] == sim.bot_user_id
    by_name = await web_client.chat_postMessage(channel="#incident-public", text="by name")
    assert by_name["channel"] == public
    err = await api_error(web_client.conversations_history(channel="#incident-public"))
    assert err == "channel_not_found"  # only chat.postMessage/postEphemeral take names


async def test_chat_update_delete_permalink_ephemeral(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    alice = sim.add_user("alice")
    chan = sim.add_channel("incident-3", members=[alice])
    human = await sim.post_message(chan, alice, "hi <@U1> see <https://x.example|dash>", deliver=False)
    stored = sim.messages(chan)[0]
    assert stored["blocks"][0]["type"] == "rich_text" and "client_msg_id" in stored
    posted = await web_client.chat_postMessage(channel=chan, text="v1")
    updated = await web_client.chat_update(channel=chan, ts=posted["ts"], text="v2")
    assert updated["message"]["text"] == "v2" and "edited" in updated["message"]
    assert (
        await api_error(web_client.chat_update(channel=chan, ts=human.ts, text="no")) == "cant_update_message"
    )
    assert await api_error(web_client.chat_delete(channel=chan, ts=human.ts)) == "cant_delete_message"
    assert (
        await api_error(web_client.chat_update(channel=chan, ts="1.000001", text="x")) == "message_not_found"
    )
    link = await web_client.chat_getPermalink(channel=chan, message_ts=posted["ts"])
    assert link["permalink"].endswith(f"/archives/{chan}/p{posted['ts'].replace('.', '')}")
    await web_client.chat_delete(channel=chan, ts=posted["ts"])
    assert [m["ts"] for m in sim.messages(chan)] == [human.ts]
    eph = await web_client.chat_postEphemeral(channel=chan, user=alice, text="only you")
    assert sim.ephemerals(chan, alice)[0]["ts"] == eph["message_ts"]
    outsider = sim.add_user("bob")
    err = await api_error(web_client.chat_postEphemeral(channel=chan, user=outsider, text="x"))
    assert err == "user_not_in_channel"
    assert await api_error(web_client.api_call("chat.postMessage", json={"channel": chan})) == "no_text"


async def test_reactions(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    alice = sim.add_user("alice")
    chan = sim.add_channel("incident-4", members=[alice])
    msg = await sim.post_message(chan, alice, "deploying", deliver=False)
    await sim.add_reaction(chan, msg.ts, alice, "eyes", deliver=False)
    await web_client.reactions_add(channel=chan, timestamp=msg.ts, name="eyes")
    got = await web_client.reactions_get(channel=chan, timestamp=msg.ts)
    assert got["message"]["reactions"] == [{"name": "eyes", "users": [alice, sim.bot_user_id], "count": 2}]
    err = await api_error(web_client.reactions_add(channel=chan, timestamp=msg.ts, name="eyes"))
    assert err == "already_reacted"
    await web_client.reactions_remove(channel=chan, timestamp=msg.ts, name="eyes")
    assert (
        await api_error(web_client.reactions_remove(channel=chan, timestamp=msg.ts, name="eyes"))
        == "no_reaction"
    )


async def test_limits(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    chan = sim.add_channel("incident-5")
    divider = {"type": "divider"}
    assert (
        await api_error(web_client.chat_postMessage(channel=chan, blocks=[divider] * 51, text="t"))
        == "invalid_blocks"
    )
    assert (await web_client.chat_postMessage(channel=chan, blocks=[divider] * 50, text="ok"))["ok"]
    long_section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    assert (
        await api_error(web_client.chat_postMessage(channel=chan, blocks=[long_section], text="t"))
        == "invalid_blocks"
    )
    assert await api_error(web_client.chat_postMessage(channel=chan, text="x" * 40_001)) == "msg_too_long"
    err = await api_error(web_client.api_call("chat.postMessage", data={"channel": chan, "blocks": "[{oops"}))
    assert err == "invalid_blocks_format"


async def test_direct_messages(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    alice = sim.add_user("alice")
    robot = sim.add_user("ci", is_bot=True)
    opened = await web_client.conversations_open(users=alice)
    again = await web_client.conversations_open(users=alice)
    assert opened["channel"]["id"].startswith("D") and again["already_open"] is True
    assert again["channel"]["id"] == opened["channel"]["id"]
    posted = await web_client.chat_postMessage(channel=alice, text="reminder")
    assert posted["channel"] == opened["channel"]["id"]
    assert await api_error(web_client.conversations_open(users=robot)) == "cannot_dm_bot"
    assert await api_error(web_client.chat_postMessage(channel=robot, text="x")) == "cannot_dm_bot"


async def test_files_upload_v2_shares_into_channel(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    chan = sim.add_channel("incident-6")
    content = "# Post-mortem\n\nbody\n"
    result = await web_client.files_upload_v2(
        channel=chan, filename="postmortem.md", content=content, title="Post-mortem", initial_comment="Draft"
    )
    file_id = result["file"]["id"]
    assert sim.file_content(file_id) == content.encode()
    assert result["file"]["title"] == "Post-mortem" and result["file"]["shares"]["public"][chan]
    [message] = sim.messages(chan)
    assert message["text"] == "Draft" and message["files"][0]["id"] == file_id and message["upload"] is True
    assert [f.name for f in sim.files_in(chan)] == ["postmortem.md"]
    assert [c.method for c in sim.calls] == ["files.getUploadURLExternal", "files.completeUploadExternal"]
    outside = sim.add_channel("incident-elsewhere", bot_member=False)
    err = await api_error(web_client.files_upload_v2(channel=outside, filename="a.md", content="x"))
    assert err == "not_in_channel"


# -- fault injection ---------------------------------------------------------------------------------
async def test_rate_limit_is_retried_by_slack_sdk_handler(sim: SlackSimulator) -> None:
    chan = sim.add_channel("incident-7")
    client = AsyncWebClient(token=sim.bot_token, base_url=sim.api_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    sim.inject_rate_limit("chat.postMessage", 2, retry_after=0)
    posted = await client.chat_postMessage(channel=chan, text="eventually")
    assert posted["ok"] is True
    assert [c.error for c in sim.calls_to("chat.postMessage")] == ["ratelimited", "ratelimited", None]
    assert len(sim.messages(chan)) == 1

    sim.inject_rate_limit("chat.postMessage", 1, retry_after=7)
    plain = AsyncWebClient(token=sim.bot_token, base_url=sim.api_url)
    with pytest.raises(SlackApiError) as info:
        await plain.chat_postMessage(channel=chan, text="no handler")
    assert info.value.response.status_code == 429 and info.value.response.headers["Retry-After"] == "7"
    assert info.value.response["error"] == "ratelimited"


async def test_fail_method(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    chan = sim.add_channel("incident-8")
    sim.fail_method("chat.postMessage", "fatal_error", count=1)
    assert await api_error(web_client.chat_postMessage(channel=chan, text="x")) == "fatal_error"
    assert (await web_client.chat_postMessage(channel=chan, text="x"))["ok"]
    sim.fail_method("users.info", "account_inactive")
    for _ in range(3):
        assert await api_error(web_client.users_info(user=sim.bot_user_id)) == "account_inactive"
    sim.clear_faults()
    assert (await web_client.users_info(user=sim.bot_user_id))["ok"]
    sim.reset_calls()
    assert sim.calls == []


# -- delivering to a real Bolt app ------------------------------------------------------------------
@pytest.fixture
async def bolt(sim: SlackSimulator) -> AsyncIterator[dict[str, list[Any]]]:
    """A minimal Bolt app wired to the simulator; records what its listeners saw."""
    seen: dict[str, list[Any]] = {"message": [], "reaction": [], "joined": [], "action": [], "shortcut": []}
    app = AsyncApp(
        token=sim.bot_token,
        signing_secret=sim.signing_secret,
        client=AsyncWebClient(token=sim.bot_token, base_url=sim.api_url),
        process_before_response=True,
    )

    @app.event("message")
    async def on_message(event: dict[str, Any], say: Any) -> None:
        seen["message"].append(event)
        if event.get("text") == "ping":
            await say(
                text="pong",
                blocks=[
                    {"type": "section", "text": {"type": "mrkdwn", "text": "pong"}},
                    {
                        "type": "actions",
                        "block_id": "acts",
                        "elements": [
                            {
                                "type": "button",
                                "action_id": "ack_btn",
                                "text": {"type": "plain_text", "text": "Ack"},
                                "value": "v",
                            }
                        ],
                    },
                ],
            )

    @app.event("reaction_added")
    async def on_reaction(event: dict[str, Any]) -> None:
        seen["reaction"].append(event)

    @app.event("member_joined_channel")
    async def on_join(event: dict[str, Any]) -> None:
        seen["joined"].append(event)

    @app.command("/postmortem")
    async def on_command(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        if command["text"] == "help":
            await ack("usage: /postmortem draft")
            return
        await ack()
        await respond(text=f"got {command['text']}", response_type="in_channel")

    @app.action("ack_btn")
    async def on_action(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        seen["action"].append(body)
        await respond(text="acknowledged", replace_original=True)

    @app.shortcut("add_to_timeline")
    async def on_shortcut(ack: Any, shortcut: dict[str, Any]) -> None:
        await ack()
        seen["shortcut"].append(shortcut)

    runner, url = await serve(app.web_app())
    sim.bot_url = f"{url}/slack/events"
    try:
        yield seen
    finally:
        await sim.settle()
        await runner.cleanup()


async def test_events_reach_bolt(sim: SlackSimulator, bolt: dict[str, list[Any]]) -> None:
    alice = sim.add_user("alice")
    chan = sim.add_channel("incident-9", members=[alice])
    first = await sim.post_message(chan, alice, "hello")
    assert first.status == 200 and first.event_id and first.event_id.startswith("Ev")
    event = bolt["message"][0]
    assert event["channel_type"] == "channel" and event["user"] == alice and event["ts"] == first.ts
    assert await sim.edit_message(chan, first.ts, "hello, edited") == 200
    assert bolt["message"][-1]["subtype"] == "message_changed"
    assert bolt["message"][-1]["previous_message"]["text"] == "hello"
    assert await sim.add_reaction(chan, first.ts, alice, "memo") == 200
    assert bolt["reaction"][0]["item"] == {"type": "message", "channel": chan, "ts": first.ts}
    bob = sim.add_user("bob")
    assert await sim.member_joined(chan, bob) == 200
    assert bolt["joined"][0]["user"] == bob
    assert bolt["message"][-1]["subtype"] == "channel_join"
    assert await sim.delete_message(chan, first.ts) == 200
    assert bolt["message"][-1]["subtype"] == "message_deleted"
    assert await sim.redeliver(first.event_id, retry_num=1) == 200
    assert sim.last_delivery is not None and sim.last_delivery.retry_num == 1

    webhook = await sim.post_message(chan, None, "[FIRING:1] HighLatency", bot_id="B0HOOK", username="alerts")
    assert webhook.status == 200
    assert bolt["message"][-1]["subtype"] == "bot_message" and bolt["message"][-1]["bot_id"] == "B0HOOK"

    outside = sim.add_channel("random", members=[alice], bot_member=False)
    assert (await sim.post_message(outside, alice, "not for the bot")).status is None  # Slack sends nothing


async def test_bot_replies_and_its_own_events_are_echoed(
    sim: SlackSimulator, bolt: dict[str, list[Any]]
) -> None:
    alice = sim.add_user("alice")
    chan = sim.add_channel("incident-10", members=[alice])
    ping = await sim.post_message(chan, alice, "ping")
    assert ping.status == 200
    await sim.settle()
    pong = sim.messages(chan)[-1]
    assert pong["text"] == "pong" and pong["bot_id"] == sim.bot_id
    echoes = [d for d in sim.deliveries if d.echo]
    assert echoes and echoes[0].status == 200  # Bolt acknowledges and ignores its own message
    assert all(m.get("bot_id") != sim.bot_id for m in bolt["message"])

    assert await sim.click_button(alice, chan, pong["ts"], "ack_btn", "v") == 200
    action = bolt["action"][0]
    assert action["actions"][0]["block_id"] == "acts" and action["container"]["message_ts"] == pong["ts"]
    assert sim.messages(chan)[-1]["text"] == "acknowledged"  # replace_original applied

    assert await sim.message_shortcut("add_to_timeline", chan, ping.ts, alice) == 200
    assert bolt["shortcut"][0]["message"]["text"] == "ping"


async def test_slash_command_acks_and_response_url(sim: SlackSimulator, bolt: dict[str, list[Any]]) -> None:
    alice = sim.add_user("alice")
    chan = sim.add_channel("incident-11", members=[alice])
    helped = await sim.slash_command(chan, alice, "help")
    assert helped.status == 200 and helped.body == "usage: /postmortem draft"
    assert sim.responses(helped.response_url_token)[0]["via"] == "ack"
    assert sim.ephemerals(chan, alice)[-1]["text"] == "usage: /postmortem draft"

    noted = await sim.slash_command(chan, alice, "note @alice paged")
    assert noted.status == 200
    [response] = sim.responses(noted.response_url_token)
    assert response["text"] == f"got note <@{alice}|alice> paged" and response["via"] == "response_url"
    await sim.settle()
    assert sim.messages(chan)[-1]["text"] == response["text"]  # in_channel shows as a message


async def test_bad_signature_is_rejected_by_bolt(sim: SlackSimulator, bolt: dict[str, list[Any]]) -> None:
    assert sim.bot_url is not None
    async with SignedSlackClient(sim.bot_url, sim.signing_secret) as client:
        event = {"type": "message", "channel": "C1", "user": "U1", "text": "x", "ts": "1.000001"}
        assert (await client.send_event(event, signing_secret="nope")).status == 401
        assert (await client.send_event(event, timestamp=int(time.time()) - 301)).status == 401
    assert bolt["message"] == []


async def test_unreachable_bot_is_recorded_not_raised() -> None:
    sim = SlackSimulator(delivery_timeout=1.0)
    await sim.start()
    try:
        sim.bot_url = "http://127.0.0.1:9/slack/events"
        alice = sim.add_user("alice")
        chan = sim.add_channel("incident-12", members=[alice])
        result = await sim.post_message(chan, alice, "anyone?")
        assert result.status is None and sim.last_delivery is not None and sim.last_delivery.error
        assert sim.messages(chan)[0]["text"] == "anyone?"
    finally:
        await sim.stop()


async def test_settle_waits_for_echoes(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    received: list[dict[str, Any]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append(json.loads(await request.read()))
        await asyncio.sleep(0.05)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/slack/events", receive)
    runner, url = await serve(app)
    try:
        sim.bot_url = f"{url}/slack/events"
        chan = sim.add_channel("incident-13")
        await web_client.chat_postMessage(channel=chan, text="hello")
        await sim.settle()
        assert [r["event"]["text"] for r in received] == ["hello"]
        assert received[0]["event"]["bot_id"] == sim.bot_id
    finally:
        await runner.cleanup()


async def test_only_subscribed_events_are_delivered() -> None:
    received: list[dict[str, Any]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append(json.loads(await request.read())["event"])
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/slack/events", receive)
    runner, url = await serve(app)
    sim = SlackSimulator(bot_events={"message.channels", "channel_rename"})
    await sim.start()
    try:
        sim.bot_url = f"{url}/slack/events"
        alice = sim.add_user("alice")
        public = sim.add_channel("incident-14", members=[alice])
        private = sim.add_channel("incident-15", members=[alice], is_private=True)
        assert await sim.rename_channel(public, "incident-14-db", alice) == 200
        assert (await sim.post_message(private, alice, "message.groups is not subscribed")).status is None
        msg = await sim.post_message(public, alice, "seen")
        assert await sim.add_reaction(public, msg.ts, alice, "eyes") is None
        assert [e["type"] for e in received] == ["channel_rename", "message", "message"]
        assert received[1]["subtype"] == "channel_name" and received[2]["text"] == "seen"
        bots = AsyncWebClient(token=sim.bot_token, base_url=sim.api_url)
        bot_info = await bots.bots_info(bot=sim.bot_id)
        assert bot_info["bot"]["user_id"] == sim.bot_user_id
        assert await api_error(bots.bots_info(bot="B404")) == "bot_not_found"
        if bots.session is not None:
            await bots.session.close()
    finally:
        await sim.stop()
        await runner.cleanup()


def test_command_text_is_escaped_like_should_escape() -> None:
    users = {"alice": "U1", "bob.smith": "U2"}.get
    channels = {"incident-1": "C1"}.get
    text = "followup add @alice check <it> & #incident-1 https://x.example/a?b=1 <@U9|zed> @nobody mail a@b.c"
    assert escape_command_text(text, users, channels) == (
        "followup add <@U1|alice> check &lt;it&gt; &amp; <#C1|incident-1> <https://x.example/a?b=1> "
        "<@U9|zed> @nobody mail a@b.c"
    )
    assert escape_command_text("ping @bob.smith.", users, channels) == "ping <@U2|bob.smith>."
