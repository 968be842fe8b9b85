"""A local Slack: the Web API over HTTP, plus helpers that deliver signed events like Slack does.

The bot under test talks to `SlackSimulator.api_url` with its ordinary `AsyncWebClient`, and receives
events, slash commands and interactions at `bot_url` (its `/slack/events`), signed with the signing
secret. Responses, error codes and payload shapes follow Slack's so that nothing in the bot needs to
know it is not talking to Slack.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from bot.simulator.canvases import CanvasWorkspace, RateLimited
from bot.simulator.client import (
    DEFAULT_APP_ID,
    DEFAULT_BOT_USER_ID,
    DEFAULT_TEAM_ID,
    DEFAULT_VERIFICATION_TOKEN,
    Response,
    SignedSlackClient,
)
from bot.simulator.socket_mode import SocketModeServer
from bot.simulator.state import (
    Channel,
    SlackApiError,
    StoredFile,
    WorkspaceState,
    escape_command_text,
    rich_text_blocks,
    ts_key,
    validate_blocks,
    validate_text,
)
from bot.simulator.tiers import HISTORY_METHODS, HistoryTier, MinuteWindow

# Sent back in `x-oauth-scopes` like Slack does; Bolt reads it into the authorize result.
BOT_SCOPES = (
    "channels:history,groups:history,channels:read,groups:read,channels:join,chat:write,commands,"
    "reactions:read,reactions:write,files:write,users:read,im:write,canvases:read,canvases:write,pins:write,"
    "app_mentions:read"
)

# The bot events manifest.yml subscribes to: Slack sends nothing else (tests keep the two in step).
DEFAULT_BOT_EVENTS = frozenset(
    {
        "message.channels", "message.groups", "reaction_added", "reaction_removed", "member_joined_channel",
        "member_left_channel", "app_mention", "channel_created", "channel_rename",
    }
)  # fmt: skip

Handler = Callable[["Params"], Awaitable[dict[str, Any]]]


@dataclass
class RecordedCall:
    method: str
    params: dict[str, Any]
    ok: bool
    error: str | None
    at: float


@dataclass
class Delivery:
    """One request the simulator sent to the bot and what the bot answered (status None: not sent/failed)."""

    kind: str  # event | command | interaction
    payload: dict[str, Any]
    status: int | None
    body: str = ""
    event_id: str | None = None
    retry_num: int | None = None
    echo: bool = False  # an event caused by the bot's own Web API call
    error: str | None = None  # connection error or timeout


@dataclass(frozen=True)
class PostResult:
    ts: str
    status: int | None
    body: str = ""
    event_id: str | None = None


@dataclass(frozen=True)
class CommandResult:
    status: int | None
    body: str
    response_url_token: str


@dataclass
class _ResponseUrl:
    channel_id: str
    user_id: str
    message_ts: str | None = None  # the message an interaction came from (replace/delete_original)
    uses: int = 0


@dataclass
class _Fault:
    error: str
    remaining: int | None  # None: until cleared
    retry_after: int = 0
    status: int = 200


class Params:
    """Merged query/form/JSON parameters of one Web API call, with Slack's loose typing."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def get(self, name: str, default: Any = None) -> Any:
        value = self.data.get(name)
        return default if value is None or value == "" else value

    def require(self, name: str, error: str) -> str:
        value = self.get(name)
        if value is None:
            raise SlackApiError(error)
        return str(value)

    def int(self, name: str, default: int) -> int:
        try:
            return int(self.get(name, default))
        except (TypeError, ValueError):
            raise SlackApiError("invalid_arguments") from None

    def bool(self, name: str) -> bool:
        value = self.get(name, False)
        return value is True or str(value).lower() in {"1", "true"}

    def json(self, name: str, error: str) -> Any:
        value = self.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise SlackApiError(error) from None
        return value


class SlackSimulator:
    """One simulated workspace with the bot installed.

    Setup: `add_user`, `add_channel`. Driving (stores the change, then delivers the signed event to
    `bot_url`, like Slack): `post_message`, `edit_message`, `delete_message`, `add_reaction`,
    `remove_reaction`, `member_joined`, `rename_channel`, `slash_command`, `click_button`,
    `message_shortcut`, `redeliver`. Inspection: `calls`/`calls_to`, `deliveries`, `messages`,
    `ephemerals`, `responses`, `files_in`. Faults: `inject_rate_limit`, `fail_method`.
    """

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-sim-token",
        signing_secret: str = "sim-signing-secret",
        bot_user_id: str = DEFAULT_BOT_USER_ID,
        bot_id: str = "BSCRIBE01",
        team_id: str = DEFAULT_TEAM_ID,
        app_id: str = DEFAULT_APP_ID,
        team_domain: str = "sim-workspace",
        verification_token: str = DEFAULT_VERIFICATION_TOKEN,
        clock: Callable[[], float] = time.time,
        echo_bot_events: bool = True,
        user_rich_text_blocks: bool = True,
        delivery_timeout: float = 3.0,
        retry_failed_deliveries: bool = False,
        bot_events: Iterable[str] = DEFAULT_BOT_EVENTS,
        history_tier: HistoryTier | None = None,
    ) -> None:
        self.bot_token = bot_token
        self.signing_secret = signing_secret
        self.bot_url: str | None = None
        # Slack sends events for the bot's own posts too (Bolt drops them); off for quieter logs.
        self.echo_bot_events = echo_bot_events
        # Slack clients attach a rich_text block to every typed message, duplicating `text`.
        self.user_rich_text_blocks = user_rich_text_blocks
        self.retry_failed_deliveries = retry_failed_deliveries
        self.bot_events = set(bot_events)
        self.set_history_tier(history_tier)
        self.state = WorkspaceState(
            team_id=team_id, domain=team_domain, bot_user_id=bot_user_id, bot_id=bot_id, app_id=app_id,
            clock=clock,
        )  # fmt: skip
        self.client = SignedSlackClient(
            "", signing_secret, team_id=team_id, api_app_id=app_id, bot_user_id=bot_user_id,
            verification_token=verification_token, timeout=delivery_timeout,
        )  # fmt: skip
        self.calls: list[RecordedCall] = []
        self.deliveries: list[Delivery] = []
        self.base_url = ""
        self.api_url = ""
        self._responses: list[dict[str, Any]] = []
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._envelopes: dict[str, dict[str, Any]] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self.socket: SocketModeServer | None = None
        self._methods: dict[str, Handler] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "conversations.history": self._conversations_history,
            "conversations.info": self._conversations_info,
            "conversations.join": self._conversations_join,
            "conversations.list": self._conversations_list,
            "conversations.members": self._conversations_members,
            "conversations.open": self._conversations_open,
            "conversations.replies": self._conversations_replies,
            "bots.info": self._bots_info,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "reactions.get": self._reactions_get,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "files.info": self._files_info,
        }
        self.canvases = CanvasWorkspace(self.state, clock)
        self._methods.update(self.canvases.handlers())

    @property
    def team_id(self) -> str:
        return self.state.team_id

    @property
    def app_id(self) -> str:
        return self.state.app_id

    @property
    def bot_user_id(self) -> str:
        return self.state.bot_user_id

    @property
    def bot_id(self) -> str:
        return self.state.bot_id

    # ==== lifecycle ================================================================================
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/v1/{file_id}", self._handle_upload)
        app.router.add_get("/files/{file_id}/{tail:.*}", self._handle_download)
        app.router.add_post("/response/{token}", self._handle_response_url)
        if self.socket is not None:
            self.socket.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        bound_port = sockets[0].getsockname()[1] if sockets else port
        self.base_url = f"http://{host}:{bound_port}"
        self.api_url = self.base_url + "/api/"
        if self.socket is not None:
            self.socket.base_url = self.base_url

    async def stop(self) -> None:
        await self.settle()
        await self.client.close()
        if self.socket is not None:
            await self.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SlackSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def settle(self) -> None:
        """Wait until the events caused by the bot's own calls have been delivered."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def enable_socket_mode(
        self, app_token: str = "xapp-1-ASCRIBE01-sim", ack_timeout: float = 3.0
    ) -> SocketModeServer:
        """Deliver over Socket Mode instead of HTTP (call before `start`); see `socket_mode`."""
        self.socket = SocketModeServer(app_token, self.bot_token, self.state.app_id, ack_timeout=ack_timeout)
        return self.socket

    # ==== fault injection and the call recorder =====================================================
    def inject_rate_limit(self, method: str, count: int, retry_after: int = 1) -> None:
        """The next `count` calls to `method` answer HTTP 429 with Retry-After, like Slack's tier limits."""
        self._faults.setdefault(method, []).append(
            _Fault("ratelimited", count, retry_after=retry_after, status=429)
        )

    def set_history_tier(self, tier: HistoryTier | None) -> None:
        """Rate and page limits of conversations.history/replies (None: unlimited, the default)."""
        self.history_tier = tier
        self._history_window = MinuteWindow(tier.calls_per_minute) if tier else None

    def fail_method(self, method: str, error: str, count: int | None = None) -> None:
        """The next `count` calls (None: all, until cleared) answer `{"ok": false, "error": error}`."""
        self._faults.setdefault(method, []).append(_Fault(error, count))

    def clear_faults(self) -> None:
        self._faults.clear()

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.method == method]

    def reset_calls(self) -> None:
        self.calls.clear()

    # ==== workspace setup ===========================================================================
    def add_user(
        self, name: str, *, is_bot: bool = False, tz: str = "UTC", real_name: str | None = None,
        bot_id: str | None = None, deleted: bool = False,
    ) -> str:  # fmt: skip
        return self.state.add_user(
            name, is_bot=is_bot, tz=tz, real_name=real_name, bot_id=bot_id, deleted=deleted
        ).id

    def add_channel(
        self, name: str, *, members: Iterable[str] = (), is_private: bool = False, bot_member: bool = True
    ) -> str:
        return self.state.add_channel(name, members=members, is_private=is_private, bot_member=bot_member).id

    def channel_id(self, name: str) -> str:
        return self.state.channel(name).id

    # ==== inspection ================================================================================
    def responses(self, token: str | None = None) -> list[dict[str, Any]]:
        """Bodies posted to response_urls (and non-empty slash command acks), each with `token` and `via`."""
        return [r for r in self._responses if token is None or r["token"] == token]

    def messages(self, channel: str, *, include_replies: bool = True) -> list[dict[str, Any]]:
        """Every stored message of a channel, oldest first (thread replies included by default)."""
        ch = self.state.channel(channel)
        if not include_replies:
            return list(reversed(self.state.timeline(ch)))
        raw = sorted(self.state.messages[ch.id].values(), key=lambda m: ts_key(m["ts"]))
        return [self.state.message(ch, m["ts"]) for m in raw]

    def ephemerals(self, channel: str | None = None, user: str | None = None) -> list[dict[str, Any]]:
        ch_id = self.state.channel(channel).id if channel else None
        return [
            e for e in self.state.ephemerals
            if (ch_id is None or e["channel"] == ch_id) and (user is None or e["user"] == user)
        ]  # fmt: skip

    def files_in(self, channel: str) -> list[StoredFile]:
        """Files shared into a channel, in the order they were shared."""
        ch = self.state.channel(channel)
        shared = [
            (min(ts_key(s["ts"]) for s in f.shares[ch.id]), f)
            for f in self.state.files.values()
            if ch.id in f.shares
        ]
        return [f for _, f in sorted(shared, key=lambda pair: pair[0])]

    @property
    def last_delivery(self) -> Delivery | None:
        return self.deliveries[-1] if self.deliveries else None

    def file_content(self, file_id: str) -> bytes | None:
        return self.state.file(file_id).content

    # ==== driving: Slack delivering to the bot ======================================================
    async def post_message(
        self,
        channel: str,
        user: str | None,
        text: str = "",
        *,
        attachments: list[dict[str, Any]] | None = None,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        bot_id: str | None = None,
        username: str | None = None,
        subtype: str | None = None,
        ts: str | None = None,
        deliver: bool = True,
    ) -> PostResult:
        """A message arrives in a channel: from a person, an app's bot user, or (user None + bot_id, or
        subtype "bot_message") a legacy integration/webhook. Delivered only if the bot is a member."""
        ch = self.state.channel(channel)
        msg: dict[str, Any] = {"text": text}
        author = self.state.user(user) if user is not None else None
        if author is None or subtype == "bot_message":
            bot = bot_id or (author.bot_id if author else None) or self.state.new_id("B")
            msg.update(subtype="bot_message", bot_id=bot, username=username or self._bot_name(bot))
            if self.state.bot_user(bot) is not None:
                msg["app_id"] = self.state.bot_profile(bot)["app_id"]
                msg["bot_profile"] = self.state.bot_profile(bot)
        elif author.is_bot:
            bot = bot_id or author.bot_id or self.state.new_id("B")
            msg.update(user=author.id, bot_id=bot, app_id=author.app_id, team=self.state.team_id)
            msg["bot_profile"] = self.state.bot_profile(bot)
        elif subtype not in (None, "thread_broadcast", "me_message"):  # system messages: no client id
            msg.update(user=author.id)
        else:
            msg.update(user=author.id, team=self.state.team_id, client_msg_id=str(uuid.uuid4()))
            if blocks is None and text and self.user_rich_text_blocks:
                blocks = rich_text_blocks(text)
        if subtype is not None and subtype != "bot_message":
            msg["subtype"] = subtype
        if blocks is not None:
            msg["blocks"] = blocks
        if attachments is not None:
            msg["attachments"] = [{"id": i + 1, **a} for i, a in enumerate(attachments)]
        if thread_ts is not None:
            msg["thread_ts"] = thread_ts
        stored = self.state.post(ch, msg, ts=ts)
        if not deliver:
            return PostResult(stored["ts"], None)
        d = await self._deliver_event(self._message_event(ch, stored), ch)
        if f"<@{self.state.bot_user_id}>" in text:
            # Slack sends app_mention as well as the message event (each to its subscription).
            await self._deliver_event(self._mention_event(ch, stored), ch)
        return PostResult(stored["ts"], d.status, d.body, d.event_id)

    async def edit_message(
        self, channel: str, ts: str, text: str, *, blocks: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None, deliver: bool = True,
    ) -> int | None:  # fmt: skip
        """The author edits a message: Slack sends `message_changed` with message and previous_message."""
        ch = self.state.channel(channel)
        raw = self.state.raw_message(ch, ts)
        changes: dict[str, Any] = {"text": text}
        if blocks is not None:
            changes["blocks"] = blocks
        elif "client_msg_id" in raw and self.user_rich_text_blocks:
            changes["blocks"] = rich_text_blocks(text)
        if attachments is not None:
            changes["attachments"] = [{"id": i + 1, **a} for i, a in enumerate(attachments)]
        editor = raw.get("user") or raw.get("bot_id", "")
        previous, current = self.state.edit(ch, ts, changes, editor=editor)
        return (
            await self._deliver_event(self._changed_event(ch, previous, current), ch, deliver=deliver)
        ).status

    async def delete_message(self, channel: str, ts: str, *, deliver: bool = True) -> int | None:
        ch = self.state.channel(channel)
        previous = self.state.delete(ch, ts)
        return (await self._deliver_event(self._deleted_event(ch, previous), ch, deliver=deliver)).status

    async def add_reaction(
        self, channel: str, ts: str, user: str, name: str, *, deliver: bool = True
    ) -> int | None:
        ch = self.state.channel(channel)
        self.state.add_reaction(ch, ts, user, name)
        event = self._reaction_event("reaction_added", ch, ts, user, name)
        return (await self._deliver_event(event, ch, deliver=deliver)).status

    async def remove_reaction(
        self, channel: str, ts: str, user: str, name: str, *, deliver: bool = True
    ) -> int | None:
        ch = self.state.channel(channel)
        self.state.remove_reaction(ch, ts, user, name)
        event = self._reaction_event("reaction_removed", ch, ts, user, name)
        return (await self._deliver_event(event, ch, deliver=deliver)).status

    async def member_joined(self, channel: str, user: str, *, inviter: str | None = None) -> int | None:
        """A user (or the bot) joins: `member_joined_channel`, then the `channel_join` message Slack posts."""
        ch = self.state.channel(channel)
        self.state.user(user)
        if not self.state.join(ch, user):
            raise ValueError(f"{user} is already a member of {ch.id}")
        return (await self._announce_join(ch, user, inviter=inviter)).status

    async def member_left(self, channel: str, user: str) -> int | None:
        """A user leaves (or is removed): `member_left_channel`, then the `channel_leave` message."""
        ch = self.state.channel(channel)
        if not self.state.leave(ch, user):
            raise ValueError(f"{user} is not a member of {ch.id}")
        event: dict[str, Any] = {
            "type": "member_left_channel", "user": user, "channel": ch.id,
            "channel_type": "G" if ch.is_private else "C", "team": self.state.team_id,
            "event_ts": self.state.next_ts(),
        }  # fmt: skip
        delivery = await self._deliver_event(event, ch)
        stored = self.state.post(
            ch, {"subtype": "channel_leave", "user": user, "text": f"<@{user}> has left the channel"}
        )
        await self._deliver_event(self._message_event(ch, stored), ch)
        return delivery.status

    async def create_channel(self, name: str, creator: str, *, members: Iterable[str] = ()) -> str:
        """A user creates a public channel (without the bot): `channel_created` goes to every app in
        the workspace subscribed to it, member or not."""
        ch = self.state.add_channel(name, members=[creator, *members], bot_member=False)
        event = {
            "type": "channel_created",
            "channel": {
                "id": ch.id, "name": ch.name, "name_normalized": ch.name, "created": ch.created,
                "creator": creator, "is_channel": True, "is_shared": False, "is_org_shared": False,
            },
            "event_ts": self.state.next_ts(),
        }  # fmt: skip
        await self._deliver_event(event, None)
        return ch.id

    async def rename_channel(self, channel: str, new_name: str, user: str) -> int | None:
        """`channel_rename` (public: to the whole workspace; a private channel's `group_rename` only
        to its members), then the `channel_name` message Slack posts."""
        ch = self.state.channel(channel)
        old_name, ch.name = ch.name, new_name
        event = {
            "type": "group_rename" if ch.is_private else "channel_rename",
            "channel": {
                "id": ch.id, "name": new_name, "name_normalized": new_name, "created": ch.created,
                "is_channel": True, "is_mpim": False,
            },
            "event_ts": self.state.next_ts(),
        }  # fmt: skip
        delivery = await self._deliver_event(event, ch if ch.is_private else None)
        notice = {
            "subtype": "channel_name", "user": user, "old_name": old_name, "name": new_name,
            "text": f"<@{user}> renamed the channel from “{old_name}” to “{new_name}”",
        }  # fmt: skip
        stored = self.state.post(ch, notice)
        await self._deliver_event(self._message_event(ch, stored), ch)
        return delivery.status

    async def redeliver(
        self, event_id: str, *, retry_num: int = 1, retry_reason: str = "http_timeout"
    ) -> int | None:
        """Send an already delivered event again, byte-identical envelope, with Slack's retry headers."""
        envelope = self._envelopes[event_id]
        return (await self._send_envelope(envelope, retry_num=retry_num, retry_reason=retry_reason)).status

    async def slash_command(
        self, channel: str, user: str, text: str, command: str = "/postmortem"
    ) -> CommandResult:
        """A user runs a slash command, its text escaped as with `should_escape: true` (see
        `escape_command_text`); a non-empty ack body is recorded in `responses()` (via "ack") and shown."""
        ch = self.state.channel(channel)
        author = self.state.user(user)
        token = self._new_response_url(ch.id, user)
        form = {
            "token": self.client.verification_token,
            "team_id": self.state.team_id,
            "team_domain": self.state.domain,
            "channel_id": ch.id,
            "channel_name": ch.name if not ch.is_im else "directmessage",
            "user_id": author.id,
            "user_name": author.name,
            "command": command,
            "text": self._escape_command_text(text),
            "api_app_id": self.state.app_id,
            "is_enterprise_install": "false",
            "response_url": f"{self.base_url}/response/{token}",
            "trigger_id": self._trigger_id(),
        }
        d = await self._send("command", form)
        if d.status == 200 and d.body.strip():
            try:
                ack = json.loads(d.body)
            except ValueError:
                ack = {"text": d.body}
            if isinstance(ack, dict):
                await self._show_response(token, ack, via="ack")
        return CommandResult(d.status, d.body, token)

    async def click_button(
        self, user: str, message_channel: str, message_ts: str, action_id: str, value: str,
        block_id: str | None = None,
    ) -> int | None:  # fmt: skip
        """A user clicks a button of a channel message (or of an ephemeral message) from the bot."""
        return await self._block_action(
            user, message_channel, message_ts, action_id, block_id, {"value": value}
        )

    async def choose_option(
        self, user: str, message_channel: str, message_ts: str, block_id: str, action_id: str, value: str
    ) -> int | None:
        """A user picks an option of a static_select; Slack sends the chosen option (its text and value)
        as `selected_option`, and no `value`."""
        ch = self.state.channel(message_channel)
        ephemeral = next((e for e in self.state.ephemerals if e["ts"] == message_ts), None)
        message = ephemeral if ephemeral is not None else self.state.message(ch, message_ts)
        block = next(b for b in message.get("blocks") or [] if b.get("block_id") == block_id)
        element = next(e for e in block.get("elements") or [] if e.get("action_id") == action_id)
        option = next(o for o in element.get("options") or [] if o.get("value") == value)
        return await self._block_action(
            user, message_channel, message_ts, action_id, block_id, {"selected_option": option}
        )

    async def _block_action(
        self, user: str, message_channel: str, message_ts: str, action_id: str, block_id: str | None,
        chosen: dict[str, Any],
    ) -> int | None:  # fmt: skip
        ch = self.state.channel(message_channel)
        author = self.state.user(user)
        ephemeral = next((e for e in self.state.ephemerals if e["ts"] == message_ts), None)
        message = ephemeral if ephemeral is not None else self.state.message(ch, message_ts)
        found_block_id, element = _find_action(message.get("blocks") or [], action_id)
        token = self._new_response_url(ch.id, user, None if ephemeral else message_ts)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {
                "id": author.id, "username": author.name, "name": author.name, "team_id": self.state.team_id,
            },
            "api_app_id": self.state.app_id,
            "token": self.client.verification_token,
            "container": {
                "type": "message", "message_ts": message_ts, "channel_id": ch.id,
                "is_ephemeral": ephemeral is not None,
            },
            "trigger_id": self._trigger_id(),
            "team": {"id": self.state.team_id, "domain": self.state.domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": ch.id, "name": ch.name},
            "state": {"values": {}},
            "response_url": f"{self.base_url}/response/{token}",
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block_id or found_block_id,
                    **(
                        {"placeholder": element.get("placeholder")}
                        if element.get("type", "button") != "button"
                        else {"text": element.get("text", {"type": "plain_text", "text": action_id})}
                    ),
                    **chosen,
                    "type": element.get("type", "button"),
                    "action_ts": f"{self.state.clock():.6f}",
                }
            ],
        }  # fmt: skip
        if ephemeral is None:
            payload["message"] = {k: v for k, v in message.items() if k != "channel"}
        return (await self._send("interaction", payload)).status

    async def message_shortcut(
        self, callback_id: str, channel: str, message_ts: str, user: str
    ) -> int | None:
        """A user picks a message shortcut ("More actions" menu) on a message."""
        ch = self.state.channel(channel)
        author = self.state.user(user)
        token = self._new_response_url(ch.id, user)
        payload = {
            "type": "message_action",
            "token": self.client.verification_token,
            "action_ts": f"{self.state.clock():.6f}",
            "team": {"id": self.state.team_id, "domain": self.state.domain},
            "user": {
                "id": author.id,
                "username": author.name,
                "team_id": self.state.team_id,
                "name": author.name,
            },
            "channel": {"id": ch.id, "name": ch.name},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self._trigger_id(),
            "response_url": f"{self.base_url}/response/{token}",
            "message_ts": message_ts,
            "message": self.state.message(ch, message_ts),
        }
        return (await self._send("interaction", payload)).status

    # ==== event payloads ============================================================================
    def _message_event(self, ch: Channel, message: dict[str, Any]) -> dict[str, Any]:
        event = {k: v for k, v in message.items() if k not in _THREAD_SUMMARY}
        return {**event, "channel": ch.id, "event_ts": message["ts"], "channel_type": ch.event_channel_type}

    def _mention_event(self, ch: Channel, message: dict[str, Any]) -> dict[str, Any]:
        keys = ("user", "text", "ts", "blocks", "team", "client_msg_id", "thread_ts", "bot_id")
        return {
            "type": "app_mention", **{k: message[k] for k in keys if k in message},
            "channel": ch.id, "event_ts": message["ts"],
        }  # fmt: skip

    def _changed_event(
        self, ch: Channel, previous: dict[str, Any], current: dict[str, Any]
    ) -> dict[str, Any]:
        ts = self.state.next_ts()
        return {
            "type": "message", "subtype": "message_changed", "message": current, "previous_message": previous,
            "channel": ch.id, "hidden": True, "ts": ts, "event_ts": ts, "channel_type": ch.event_channel_type,
        }  # fmt: skip

    def _deleted_event(self, ch: Channel, previous: dict[str, Any]) -> dict[str, Any]:
        ts = self.state.next_ts()
        return {
            "type": "message", "subtype": "message_deleted", "previous_message": previous, "channel": ch.id,
            "hidden": True, "deleted_ts": previous["ts"], "ts": ts, "event_ts": ts,
            "channel_type": ch.event_channel_type,
        }  # fmt: skip

    def _reaction_event(self, kind: str, ch: Channel, ts: str, user: str, name: str) -> dict[str, Any]:
        event: dict[str, Any] = {
            "type": kind, "user": user, "reaction": name,
            "item": {"type": "message", "channel": ch.id, "ts": ts}, "event_ts": self.state.next_ts(),
        }  # fmt: skip
        item_user = self.state.raw_message(ch, ts).get("user")
        if item_user:
            event["item_user"] = item_user
        return event

    async def _announce_join(self, ch: Channel, user: str, *, inviter: str | None = None) -> Delivery:
        event: dict[str, Any] = {
            "type": "member_joined_channel", "user": user, "channel": ch.id,
            "channel_type": "G" if ch.is_private else "C", "team": self.state.team_id,
            "event_ts": self.state.next_ts(),
        }  # fmt: skip
        notice: dict[str, Any] = {
            "subtype": "channel_join",
            "user": user,
            "text": f"<@{user}> has joined the channel",
        }
        if inviter:
            event["inviter"] = notice["inviter"] = inviter
        delivery = await self._deliver_event(event, ch)
        stored = self.state.post(ch, notice)
        await self._deliver_event(self._message_event(ch, stored), ch)
        return delivery

    # ==== sending to the bot ========================================================================
    async def _deliver_event(
        self, event: dict[str, Any], ch: Channel | None, *, deliver: bool = True, echo: bool = False
    ) -> Delivery:
        # Slack sends only subscribed events, and channel events only for channels the app is in.
        subscribed = _subscription(event) in self.bot_events
        if not deliver or not subscribed or (ch is not None and self.state.bot_user_id not in ch.members):
            return Delivery("event", event, None)
        envelope = self.client.envelope(event)
        self._envelopes[envelope["event_id"]] = envelope
        delivery = await self._send_envelope(envelope, echo=echo)
        retry = 0
        while self.retry_failed_deliveries and retry < 3 and not _is_success(delivery.status):
            retry += 1
            reason = "http_timeout" if delivery.status is None else "http_error"
            delivery = await self._send_envelope(envelope, retry_num=retry, retry_reason=reason, echo=echo)
        return delivery

    async def _send_envelope(
        self, envelope: dict[str, Any], *, retry_num: int | None = None, retry_reason: str | None = None,
        echo: bool = False,
    ) -> Delivery:  # fmt: skip
        return await self._send(
            "event", envelope, retry_num=retry_num, retry_reason=retry_reason, echo=echo,
            event_id=envelope["event_id"],
        )  # fmt: skip

    async def _send(
        self, kind: str, payload: dict[str, Any], *, retry_num: int | None = None,
        retry_reason: str | None = None, echo: bool = False, event_id: str | None = None,
    ) -> Delivery:  # fmt: skip
        delivery = Delivery(kind, payload, None, event_id=event_id, retry_num=retry_num, echo=echo)
        if self.socket is not None:
            acked = await self.socket.send(kind, payload, retry_num=retry_num, retry_reason=retry_reason)
            if acked.payload is None:
                delivery.error = f"not acknowledged after {acked.attempts} attempt(s)"
            else:
                delivery.status, delivery.body = 200, json.dumps(acked.payload) if acked.payload else ""
            self.deliveries.append(delivery)
            return delivery
        if not self.bot_url:
            raise RuntimeError("SlackSimulator.bot_url is not set: nowhere to deliver to")
        self.client.url = self.bot_url
        try:
            response: Response
            if kind == "event":
                response = await self.client.send_envelope(
                    payload, retry_num=retry_num, retry_reason=retry_reason
                )
            elif kind == "command":
                response = await self.client.send_command(payload)
            else:
                response = await self.client.send_interaction(payload)
            delivery.status, delivery.body = response.status, response.body
        except (aiohttp.ClientError, TimeoutError) as exc:
            delivery.error = f"{type(exc).__name__}: {exc}"
        self.deliveries.append(delivery)
        return delivery

    def _echo(self, event: dict[str, Any], ch: Channel) -> None:
        """Deliver, in the background, the event Slack emits for a change the bot itself made."""
        if not self.echo_bot_events or not self.bot_url:
            return
        task = asyncio.get_running_loop().create_task(self._deliver_event(event, ch, echo=True))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ==== HTTP: the Web API =========================================================================
    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        token = _bearer(request) or params.pop("token", None)
        params.pop("token", None)
        call = RecordedCall(method, params, ok=False, error=None, at=self.state.clock())
        self.calls.append(call)
        headers = {"x-oauth-scopes": BOT_SCOPES, "x-accepted-oauth-scopes": ""}
        try:
            if method == "apps.connections.open":
                if self.socket is None:
                    raise SlackApiError(
                        "not_allowed_token_type" if token == self.bot_token else "invalid_auth"
                    )
                call.ok = True
                return web.json_response({"ok": True, **self.socket.open(token)}, headers=headers)
            if not token:
                raise SlackApiError("not_authed")
            if token != self.bot_token:
                raise SlackApiError("not_allowed_token_type" if token.startswith("xapp-") else "invalid_auth")
            wait = self._tier_wait(method)
            fault = self._take_fault(method) if wait is None else _Fault("ratelimited", 1, wait, 429)
            if fault is not None and fault.status == 429:
                call.error = fault.error
                headers["Retry-After"] = str(fault.retry_after)
                return web.json_response({"ok": False, "error": fault.error}, status=429, headers=headers)
            if fault is not None:
                raise SlackApiError(fault.error)
            handler = self._methods.get(method)
            if handler is None:
                raise SlackApiError("unknown_method", req_method=method)
            result = await handler(Params(params))
        except RateLimited as limited:
            call.error = "ratelimited"
            headers["Retry-After"] = str(limited.retry_after)
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers=headers)
        except SlackApiError as err:
            call.error = err.code
            return web.json_response({"ok": False, "error": err.code, **err.extra}, headers=headers)
        call.ok = True
        return web.json_response({"ok": True, **result}, headers=headers)

    def _tier_wait(self, method: str) -> int | None:
        if self._history_window is None or method not in HISTORY_METHODS:
            return None
        return self._history_window.admit(method, self.state.clock())

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method) or []
        if not queue:
            return None
        fault = queue[0]
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.pop(0)
        return fault

    # -- auth / users -------------------------------------------------------------------------------
    async def _api_test(self, p: Params) -> dict[str, Any]:
        return {"args": p.data}

    async def _auth_test(self, p: Params) -> dict[str, Any]:
        s = self.state
        return {
            "url": f"https://{s.domain}.slack.com/",
            "team": s.team_name,
            "user": s.users[s.bot_user_id].name,
            "team_id": s.team_id,
            "user_id": s.bot_user_id,
            "bot_id": s.bot_id,
            "is_enterprise_install": False,
        }

    async def _users_info(self, p: Params) -> dict[str, Any]:
        return {"user": self.state.user(p.require("user", "user_not_found")).to_api()}

    async def _bots_info(self, p: Params) -> dict[str, Any]:
        bot_id = p.require("bot", "bot_not_found")
        owner = self.state.bot_user(bot_id)
        if owner is None:
            raise SlackApiError("bot_not_found")
        profile = self.state.bot_profile(bot_id)
        return {"bot": {**profile, "user_id": owner.id}}

    async def _users_list(self, p: Params) -> dict[str, Any]:
        users = [u.to_api() for u in self.state.users.values()]
        page, cursor = _page_by_offset(users, p, default_limit=100, max_limit=1000)
        return {"members": page, "cache_ts": self.state.now(), "response_metadata": {"next_cursor": cursor}}

    # -- conversations ------------------------------------------------------------------------------
    def _visible(self, p: Params, name: str = "channel") -> Channel:
        # Only chat.postMessage/postEphemeral resolve channel names; every other method needs an id.
        ref = p.require(name, "channel_not_found")
        return self.state.channel(ref, viewer=self.state.bot_user_id, allow_name=False)

    def _readable(self, p: Params) -> Channel:
        ch = self._visible(p)
        self.state.require_member(ch, self.state.bot_user_id)
        return ch

    async def _conversations_info(self, p: Params) -> dict[str, Any]:
        ch = self._visible(p)
        info = ch.to_api(
            viewer=self.state.bot_user_id,
            team_id=self.state.team_id,
            num_members=p.bool("include_num_members"),
        )
        if properties := self.canvases.channel_properties(ch.id):
            info["properties"] = properties
        return {"channel": info}

    async def _conversations_history(self, p: Params) -> dict[str, Any]:
        ch = self._readable(p)
        messages = _between(self.state.timeline(ch), p)
        default, most = self.history_tier.page("conversations.history") if self.history_tier else (100, 999)
        page, cursor = _page_by_ts(messages, p, default_limit=default, max_limit=most, newest_first=True)
        return {
            "messages": page,
            "has_more": bool(cursor),
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }

    async def _conversations_replies(self, p: Params) -> dict[str, Any]:
        ch = self._readable(p)
        parent, *replies = self.state.thread(ch, p.require("ts", "thread_not_found"))
        messages = [parent, *_between(replies, p)]
        default, most = self.history_tier.page("conversations.replies") if self.history_tier else (1000, 1000)
        page, cursor = _page_by_ts(messages, p, default_limit=default, max_limit=most, newest_first=False)
        return {"messages": page, "has_more": bool(cursor), "response_metadata": {"next_cursor": cursor}}

    async def _conversations_open(self, p: Params) -> dict[str, Any]:
        if p.get("channel"):
            return {"channel": {"id": self._visible(p).id}, "no_op": True, "already_open": True}
        users = [u for u in str(p.get("users", "")).split(",") if u]
        if not users:
            raise SlackApiError("users_list_not_supplied")
        if len(users) > 1:
            raise SlackApiError("not_supported")  # group DMs are outside this bot's needs
        im, existed = self.state.open_im(users[0])
        info = (
            im.to_api(viewer=self.state.bot_user_id, team_id=self.state.team_id)
            if p.bool("return_im")
            else {}
        )
        result: dict[str, Any] = {"channel": {"id": im.id, **info}}
        if existed:
            result.update(no_op=True, already_open=True)
        return result

    async def _conversations_join(self, p: Params) -> dict[str, Any]:
        ch = self._visible(p)
        if ch.is_private or ch.is_im:
            raise SlackApiError("method_not_supported_for_channel_type")
        if ch.is_archived:
            raise SlackApiError("is_archived")
        joined = self.state.join(ch, self.state.bot_user_id)
        info = ch.to_api(viewer=self.state.bot_user_id, team_id=self.state.team_id)
        if not joined:
            return {
                "channel": info,
                "warning": "already_in_channel",
                "response_metadata": {"warnings": ["already_in_channel"]},
            }
        if self.echo_bot_events and self.bot_url:
            task = asyncio.get_running_loop().create_task(self._announce_join(ch, self.state.bot_user_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return {"channel": info}

    async def _conversations_list(self, p: Params) -> dict[str, Any]:
        types = set(str(p.get("types", "public_channel")).split(","))
        bot = self.state.bot_user_id

        def listed(ch: Channel) -> bool:
            if ch.is_im:
                return "im" in types and bot in ch.members
            if ch.is_private:
                return "private_channel" in types and bot in ch.members
            return "public_channel" in types

        channels = [
            ch.to_api(viewer=bot, team_id=self.state.team_id, num_members=True)
            for ch in self.state.channels.values()
            if listed(ch) and not (ch.is_archived and p.bool("exclude_archived"))
        ]
        page, cursor = _page_by_offset(channels, p, default_limit=100, max_limit=1000)
        return {"channels": page, "response_metadata": {"next_cursor": cursor}}

    async def _conversations_members(self, p: Params) -> dict[str, Any]:
        ch = self._visible(p)
        page, cursor = _page_by_offset(list(ch.members), p, default_limit=100, max_limit=1000)
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    # -- chat ---------------------------------------------------------------------------------------
    def _writable(self, p: Params, *, allow_name: bool = False) -> Channel:
        ref = p.require("channel", "channel_not_found")
        if ref[:1] in {"U", "W"} and ref in self.state.users:
            ch, _ = self.state.open_im(ref)  # posting to a user id lands in the app's DM with them
            return ch
        ch = self.state.channel(ref, viewer=self.state.bot_user_id, allow_name=allow_name)
        self.state.require_writable(ch, self.state.bot_user_id)
        return ch

    def _content(self, p: Params, *, required: bool = True) -> dict[str, Any]:
        """text/blocks/attachments of a chat.* call, checked against Slack's limits."""
        content: dict[str, Any] = {}
        if p.data.get("text") is not None:
            content["text"] = str(p.data["text"])
            validate_text(content["text"])
        if p.data.get("blocks") is not None:
            blocks = p.json("blocks", "invalid_blocks_format")
            validate_blocks(blocks)
            content["blocks"] = blocks
        if p.data.get("attachments") is not None:
            attachments = p.json("attachments", "invalid_attachments")
            if not isinstance(attachments, list) or not all(isinstance(a, dict) for a in attachments):
                raise SlackApiError("invalid_attachments")
            for a in attachments:
                if a.get("blocks") is not None:
                    validate_blocks(a["blocks"])
            content["attachments"] = [{"id": i + 1, **a} for i, a in enumerate(attachments)]
        if required and not (content.get("text") or content.get("blocks") or content.get("attachments")):
            raise SlackApiError("no_text")
        return content

    def _bot_message(self, content: dict[str, Any]) -> dict[str, Any]:
        s = self.state
        return {
            "user": s.bot_user_id, "bot_id": s.bot_id, "app_id": s.app_id, "text": content.get("text", ""),
            "team": s.team_id, "bot_profile": s.bot_profile(s.bot_id),
            **{k: v for k, v in content.items() if k != "text"},
        }  # fmt: skip

    async def _chat_post_message(self, p: Params) -> dict[str, Any]:
        ch = self._writable(p, allow_name=True)
        msg = self._bot_message(self._content(p))
        if p.get("thread_ts"):
            msg["thread_ts"] = str(p.get("thread_ts"))
            if p.bool("reply_broadcast"):
                msg["subtype"] = "thread_broadcast"
        if p.get("metadata") is not None:
            msg["metadata"] = p.json("metadata", "invalid_metadata_format")
        stored = self.state.post(ch, msg)
        self._echo(self._message_event(ch, stored), ch)
        return {"channel": ch.id, "ts": stored["ts"], "message": stored}

    async def _chat_post_ephemeral(self, p: Params) -> dict[str, Any]:
        ch = self._writable(p, allow_name=True)
        user = self.state.user(p.require("user", "user_not_found"))
        if user.id not in ch.members:
            raise SlackApiError("user_not_in_channel")
        content = self._content(p)
        ts = self.state.next_ts()
        entry = {"type": "message", "channel": ch.id, "user": user.id, "ts": ts, **self._bot_message(content)}
        entry["user"] = user.id  # the recipient; the author is the bot (bot_id)
        if p.get("thread_ts"):
            entry["thread_ts"] = str(p.get("thread_ts"))
        self.state.ephemerals.append(entry)
        return {"message_ts": ts}

    async def _chat_update(self, p: Params) -> dict[str, Any]:
        ch = self._writable(p)
        ts = p.require("ts", "message_not_found")
        if self.state.raw_message(ch, ts).get("bot_id") != self.state.bot_id:
            raise SlackApiError("cant_update_message")
        changes = self._content(p, required=False)
        if not changes:
            raise SlackApiError("no_text")
        previous, current = self.state.edit(ch, ts, changes, editor=self.state.bot_user_id)
        self._echo(self._changed_event(ch, previous, current), ch)
        return {"channel": ch.id, "ts": ts, "text": current.get("text", ""), "message": current}

    async def _chat_delete(self, p: Params) -> dict[str, Any]:
        ch = self._writable(p)
        ts = p.require("ts", "message_not_found")
        if self.state.raw_message(ch, ts).get("bot_id") != self.state.bot_id:
            raise SlackApiError("cant_delete_message")
        previous = self.state.delete(ch, ts)
        self._echo(self._deleted_event(ch, previous), ch)
        return {"channel": ch.id, "ts": ts}

    async def _chat_get_permalink(self, p: Params) -> dict[str, Any]:
        ch = self._visible(p)
        ts = p.require("message_ts", "message_not_found")
        return {"channel": ch.id, "permalink": self._permalink(ch, self.state.raw_message(ch, ts))}

    def _permalink(self, ch: Channel, message: dict[str, Any]) -> str:
        url = f"https://{self.state.domain}.slack.com/archives/{ch.id}/p{message['ts'].replace('.', '')}"
        thread_ts = message.get("thread_ts")
        if thread_ts and thread_ts != message["ts"]:
            url += f"?thread_ts={thread_ts}&cid={ch.id}"
        return url

    # -- reactions ----------------------------------------------------------------------------------
    def _reaction_target(self, p: Params) -> tuple[Channel, str, str]:
        ch = self._readable(p)
        name = p.require("name", "invalid_name").strip(":")
        return ch, p.require("timestamp", "no_item_specified"), name

    async def _reactions_add(self, p: Params) -> dict[str, Any]:
        ch, ts, name = self._reaction_target(p)
        self.state.add_reaction(ch, ts, self.state.bot_user_id, name)
        self._echo(self._reaction_event("reaction_added", ch, ts, self.state.bot_user_id, name), ch)
        return {}

    async def _reactions_remove(self, p: Params) -> dict[str, Any]:
        ch, ts, name = self._reaction_target(p)
        self.state.remove_reaction(ch, ts, self.state.bot_user_id, name)
        self._echo(self._reaction_event("reaction_removed", ch, ts, self.state.bot_user_id, name), ch)
        return {}

    async def _reactions_get(self, p: Params) -> dict[str, Any]:
        ch = self._readable(p)
        message = self.state.message(ch, p.require("timestamp", "no_item_specified"))
        message["permalink"] = self._permalink(ch, message)
        return {"type": "message", "channel": ch.id, "message": message}

    # -- files --------------------------------------------------------------------------------------
    def _file_api(self, file_id: str) -> dict[str, Any]:
        return self.state.file(file_id).to_api(
            base_url=self.base_url, domain=self.state.domain, channels=self.state.channels
        )

    async def _files_get_upload_url_external(self, p: Params) -> dict[str, Any]:
        filename = p.require("filename", "invalid_arguments")
        length = p.int("length", -1)
        if length < 0:
            raise SlackApiError("invalid_arguments")
        f = self.state.new_file(
            name=filename, length=length, user=self.state.bot_user_id, alt_txt=p.get("alt_txt"),
            snippet_type=p.get("snippet_type"),
        )  # fmt: skip
        return {"upload_url": f"{self.base_url}/upload/v1/{f.id}", "file_id": f.id}

    async def _files_complete_upload_external(self, p: Params) -> dict[str, Any]:
        entries = p.json("files", "invalid_arguments")
        if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
            raise SlackApiError("invalid_arguments")
        files = [self.state.file(str(e.get("id"))) for e in entries]
        if any(f.content is None for f in files):
            raise SlackApiError("file_not_found")  # the bytes never reached the upload URL
        targets: list[Channel] = []
        refs = [p.get("channel_id")] if p.get("channel_id") else str(p.get("channels", "")).split(",")
        for ref in (r for r in refs if r):
            ch = self.state.channel(str(ref), viewer=self.state.bot_user_id, allow_name=False)
            self.state.require_writable(ch, self.state.bot_user_id)
            targets.append(ch)
        comment = p.get("initial_comment")
        if comment is not None:
            validate_text(str(comment))
        for f, e in zip(files, entries, strict=True):
            if e.get("title"):
                f.title = str(e["title"])
        for ch in targets:
            self._share_files(ch, files, comment=comment, thread_ts=p.get("thread_ts"))
        return {"files": [self._file_api(f.id) for f in files]}

    def _share_files(self, ch: Channel, files: list[Any], *, comment: Any, thread_ts: Any) -> None:
        """Post the message that carries the files into the channel (Slack's `file_share` message)."""
        msg = self._bot_message({"text": str(comment or "")})
        msg.update(upload=True, display_as_bot=False, files=[])
        if thread_ts:
            msg["thread_ts"] = str(thread_ts)
        stored = self.state.post(ch, msg)
        share = {
            "ts": stored["ts"], "channel_name": ch.name, "team_id": self.state.team_id,
            "share_user_id": self.state.bot_user_id, "source": "UNKNOWN", "is_silent_share": False,
        }  # fmt: skip
        if thread_ts:
            share["thread_ts"] = str(thread_ts)
        for f in files:
            f.shares.setdefault(ch.id, []).append(share)
        raw = self.state.raw_message(ch, stored["ts"])
        raw["files"] = [self._file_api(f.id) for f in files]
        event = self._message_event(ch, self.state.message(ch, stored["ts"]))
        self._echo({**event, "subtype": "file_share"}, ch)

    async def _files_info(self, p: Params) -> dict[str, Any]:
        file_id = p.require("file", "file_not_found")
        return {"file": self._file_api(file_id), "comments": [], "response_metadata": {"next_cursor": ""}}

    async def _handle_upload(self, request: web.Request) -> web.Response:
        """The upload URL: raw bytes (what slack_sdk sends) or multipart form data."""
        f = self.state.files.get(request.match_info["file_id"])
        if f is None:
            return web.Response(status=404, text="file not found", content_type="text/plain")
        if request.content_type.startswith("multipart/"):
            data = b""
            reader = await request.multipart()
            async for part in reader:
                if isinstance(part, aiohttp.BodyPartReader) and (
                    part.filename or part.name in {"file", "content"}
                ):
                    data = await part.read(decode=False)
                    break
        else:
            data = await request.read()
        f.content = bytes(data)
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    async def _handle_download(self, request: web.Request) -> web.Response:
        if _bearer(request) != self.bot_token:
            return web.Response(status=403, text="forbidden")
        f = self.state.files.get(request.match_info["file_id"])
        if f is None or f.content is None:
            return web.Response(status=404, text="file not found")
        return web.Response(body=f.content, content_type="application/octet-stream")

    # ==== HTTP: response_url ========================================================================
    async def _handle_response_url(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        origin = self._response_urls.get(token)
        if origin is None:
            return web.Response(status=404, text="invalid_token", content_type="text/plain")
        origin.uses += 1
        if origin.uses > 5:  # Slack allows 5 responses per response_url
            return web.Response(status=404, text="used_url", content_type="text/plain")
        try:
            body = await request.json() if request.content_type == "application/json" else None
            if body is None:
                form = await request.post()
                body = json.loads(str(form.get("payload", "{}")))
        except ValueError:
            return web.Response(status=400, text="invalid_payload", content_type="text/plain")
        try:
            await self._show_response(token, body, via="response_url")
        except SlackApiError as err:
            return web.Response(status=400, text=err.code, content_type="text/plain")
        return web.json_response({"ok": True})

    async def _show_response(self, token: str, body: dict[str, Any], *, via: str) -> None:
        """Record a response and apply it the way Slack shows it (ephemeral, in channel, replace, delete)."""
        origin = self._response_urls[token]
        ch = self.state.channel(origin.channel_id)
        if body.get("blocks") is not None:
            validate_blocks(body["blocks"])
        validate_text(body.get("text"))
        self._responses.append({**body, "token": token, "via": via})
        content = {k: body[k] for k in ("text", "blocks", "attachments") if body.get(k) is not None}
        if body.get("delete_original") and origin.message_ts:
            previous = self.state.delete(ch, origin.message_ts)
            self._echo(self._deleted_event(ch, previous), ch)
        elif body.get("replace_original") and origin.message_ts:
            previous, current = self.state.edit(ch, origin.message_ts, content, editor=self.state.bot_user_id)
            self._echo(self._changed_event(ch, previous, current), ch)
        elif body.get("response_type") == "in_channel":
            msg = self._bot_message(content)
            if body.get("thread_ts"):
                msg["thread_ts"] = str(body["thread_ts"])
            stored = self.state.post(ch, msg)
            self._echo(self._message_event(ch, stored), ch)
        else:
            entry = {
                **self._bot_message(content),
                "type": "message",
                "channel": ch.id,
                "ts": self.state.next_ts(),
            }
            entry["user"] = origin.user_id
            self.state.ephemerals.append(entry)

    # ==== small helpers =============================================================================
    def _new_response_url(self, channel_id: str, user_id: str, message_ts: str | None = None) -> str:
        token = secrets.token_urlsafe(12)
        self._response_urls[token] = _ResponseUrl(channel_id, user_id, message_ts)
        return token

    def _trigger_id(self) -> str:
        return f"{int(self.state.clock())}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"

    def _bot_name(self, bot_id: str) -> str:
        owner = self.state.bot_user(bot_id)
        return owner.name if owner else "bot"

    def _escape_command_text(self, text: str) -> str:
        def user_id_for(name: str) -> str | None:
            user = self.state.user_by_name(name)
            return user.id if user else None

        def channel_id_for(name: str) -> str | None:
            try:
                return self.state.channel(name).id
            except SlackApiError:
                return None

        return escape_command_text(text, user_id_for, channel_id_for)


_THREAD_SUMMARY = frozenset(
    {"reply_count", "reply_users_count", "latest_reply", "reply_users", "is_locked", "subscribed"}
)


def _subscription(event: dict[str, Any]) -> str:
    """The Events API subscription an event belongs to: message.channels for a channel message, etc."""
    if event["type"] != "message":
        return str(event["type"])
    kind = {"channel": "channels", "group": "groups", "im": "im", "mpim": "mpim"}
    return f"message.{kind.get(event.get('channel_type', ''), 'channels')}"


def _is_success(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def _bearer(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else None


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Slack accepts arguments in the query string, a form body or a JSON body (slack_sdk uses all three)."""
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            params.update(body)
    elif request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def _find_action(blocks: list[dict[str, Any]], action_id: str) -> tuple[str, dict[str, Any]]:
    """The block_id and element of an interactive element, wherever Block Kit allows one."""
    for block in blocks:
        candidates = list(block.get("elements") or [])
        if block.get("accessory"):
            candidates.append(block["accessory"])
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(block.get("block_id", "")), element
    raise ValueError(f"no element with action_id {action_id!r} in the message")


def _between(messages: list[dict[str, Any]], p: Params) -> list[dict[str, Any]]:
    """Apply conversations.history's `oldest`/`latest`/`inclusive` window."""
    oldest, latest = p.get("oldest"), p.get("latest")
    inclusive = p.bool("inclusive")
    low = ts_key(str(oldest)) if oldest is not None else None
    high = ts_key(str(latest)) if latest is not None else None

    def inside(m: dict[str, Any]) -> bool:
        key = ts_key(m["ts"])
        if low is not None and (key < low or (key == low and not inclusive)):
            return False
        return not (high is not None and (key > high or (key == high and not inclusive)))

    return [m for m in messages if inside(m)]


def _encode_cursor(kind: str, value: str) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def _decode_cursor(cursor: Any, kind: str) -> str | None:
    if not cursor:
        return None
    try:
        found, _, value = base64.b64decode(str(cursor), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise SlackApiError("invalid_cursor") from None
    if found != kind or not value:
        raise SlackApiError("invalid_cursor")
    return value


def _limit(p: Params, default_limit: int, max_limit: int) -> int:
    limit = p.int("limit", default_limit)
    return default_limit if limit <= 0 else min(limit, max_limit)


def _page_by_offset(
    items: list[Any], p: Params, *, default_limit: int, max_limit: int
) -> tuple[list[Any], str]:
    start = _decode_cursor(p.get("cursor"), "offset")
    offset = int(start) if start and start.isdigit() else 0
    end = offset + _limit(p, default_limit, max_limit)
    return items[offset:end], _encode_cursor("offset", str(end)) if end < len(items) else ""


def _page_by_ts(
    messages: list[dict[str, Any]], p: Params, *, default_limit: int, max_limit: int, newest_first: bool
) -> tuple[list[dict[str, Any]], str]:
    """Pages keyed by the next message's ts, so messages arriving or vanishing between pages shift nothing."""
    start = _decode_cursor(p.get("cursor"), "next_ts")
    index = 0
    if start:
        key = ts_key(start)
        at_or_past = (lambda k: k <= key) if newest_first else (lambda k: k >= key)
        index = next((i for i, m in enumerate(messages) if at_or_past(ts_key(m["ts"]))), len(messages))
    end = index + _limit(p, default_limit, max_limit)
    page = messages[index:end]
    return page, _encode_cursor("next_ts", messages[end]["ts"]) if end < len(messages) else ""
