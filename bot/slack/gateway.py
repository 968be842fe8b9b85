"""The one edge that talks to the Slack Web API.

Every call goes through `SlackGateway._call`, which counts it (method, outcome), turns slack-sdk's
errors into `GatewayError` (nothing outside bot/slack imports slack_sdk to catch them), and decides
what a 429 costs. On the request path, inside Slack's 3-second ack, a rate-limited call fails at once
(the caller degrades or the request is answered with an error Slack redelivers later); background work
(`bot.tasks.in_background()`: backfill, drafts, enrichment, canvases) waits out Retry-After and tries
again. Lookups of one channel, user or member list share one in-flight call and are cached, so the
event path pays for `conversations.info` once however many events arrive together.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.observability.metrics import Metrics
from bot.tasks import in_background

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_BLOCKS = 50
_DM_FALLBACK_ERRORS = frozenset(
    {"missing_scope", "not_allowed_token_type", "unknown_method", "method_deprecated", "restricted_action"}
)
# What auth.test answers for a token Slack will never accept: retrying cannot help.
REFUSED_TOKEN_ERRORS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked"})
CACHE_SECONDS = 300.0
# Slack allows reactions.add "Tier 3": about 50 calls a minute per workspace, with short bursts.
REACTIONS_PER_MINUTE = 50
# Background work: how often a rate-limited call is tried again, and the longest Retry-After obeyed
# per wait (Slack's are seconds to a minute).
BACKGROUND_ATTEMPTS = 6
MAX_RETRY_AFTER = 120.0


class GatewayError(SlackApiError):
    """A Web API call Slack answered with an error. `.error` is Slack's code (`ratelimited` for a
    429), `.retry_after` the seconds Slack asked us to wait (None when it did not say).

    A SlackApiError subclass so that code written against slack-sdk's error keeps working."""

    def __init__(self, method: str, exc: SlackApiError) -> None:
        self.response = exc.response
        self.method = method
        self.status: int | None = getattr(exc.response, "status_code", None)
        self.error = str(exc.response.get("error") or ("ratelimited" if self.status == 429 else "unknown"))
        self.retry_after = _retry_after(exc.response)
        # One line naming the method and Slack's code; slack-sdk's message appends the whole response.
        Exception.__init__(self, f"Slack {method}: {self.error}")

    @property
    def rate_limited(self) -> bool:
        return self.status == 429 or self.error in ("ratelimited", "rate_limited")


def _retry_after(response: Any) -> float | None:
    headers = getattr(response, "headers", None) or {}
    for key, value in dict(headers).items():
        if str(key).lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return None
    return None


class CallBudget:
    """A token bucket for calls that are nice to have: spend only what Slack would allow, so an
    alert storm skips cosmetic calls instead of queueing behind 429s (and costs nothing for them)."""

    def __init__(self, per_minute: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = self._tokens = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._at = clock()
        self.skipped = 0

    def take(self) -> bool:
        now = self.clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        self.skipped += 1
        return False


class _TTLCache:
    def __init__(self, ttl: float, max_items: int = 10_000) -> None:
        self.ttl, self.max_items = ttl, max_items
        self._items: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any:
        hit = self._items.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, key: str, value: Any) -> None:
        if len(self._items) >= self.max_items:
            self._items.clear()  # crude but bounded; a workspace rarely exceeds it
        self._items[key] = (time.monotonic() + self.ttl, value)

    def drop(self, key: str) -> None:
        self._items.pop(key, None)


def cap_blocks(blocks: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Slack rejects more than 50 blocks; nothing in slack-sdk checks it."""
    if not blocks or len(blocks) <= MAX_BLOCKS:
        return blocks
    dropped = len(blocks) - (MAX_BLOCKS - 1)
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": f"…{dropped} more blocks omitted"}]}
    return [*blocks[: MAX_BLOCKS - 1], note]


class RateLimited(Exception):
    """Slack answered 429: the method may be called again after `retry_after` seconds."""

    def __init__(self, method: str, retry_after: float) -> None:
        super().__init__(f"{method} rate-limited for {retry_after:g} s")
        self.method, self.retry_after = method, retry_after


@dataclass(frozen=True, slots=True)
class Page:
    """One page of conversations.history/replies as Slack gave it."""

    messages: list[dict[str, Any]]
    next_cursor: str
    asked: int
    returned: int  # as Slack counted them (a replies page counts the thread's parent)

    @property
    def capped(self) -> bool:
        """Slack returned fewer than asked yet has more: the page size is capped for this app
        (15 for apps under the 2025 history limit)."""
        return bool(self.next_cursor) and self.returned < self.asked


def _display_name(user: dict[str, Any] | None) -> str | None:
    if not user:
        return None
    profile = user.get("profile") or {}
    return profile.get("display_name") or user.get("real_name") or user.get("name")


def _answered(exc: SlackApiError, called: str) -> str:
    """The Web API method whose answer `exc` carries (one call of several may have failed)."""
    url = getattr(exc.response, "api_url", None)
    method = url.rsplit("/", 1)[-1] if isinstance(url, str) else ""
    return method if "." in method else called


def _next_cursor(resp: Any) -> str:
    return str((resp.get("response_metadata") or {}).get("next_cursor") or "")


class SlackGateway:
    def __init__(self, client: AsyncWebClient, metrics: Metrics | None = None) -> None:
        # No slack-sdk rate-limit handler on the client: the retry policy is `_call`'s.
        self.client = client
        self.metrics = metrics or Metrics()
        # History pages are paced by the caller, which must see a 429 instead of sleeping in it.
        self.paged_client = AsyncWebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            retry_handlers=[AsyncConnectionErrorRetryHandler()],
        )
        # apps.connections.open (Socket Mode) without retry handlers: its callers retry, with one
        # log line per try instead of slack-sdk's own line on top.
        self.connections_client = AsyncWebClient(
            base_url=client.base_url, timeout=client.timeout, retry_handlers=[]
        )
        self._channels = _TTLCache(CACHE_SECONDS)
        self._users = _TTLCache(CACHE_SECONDS)
        self._members = _TTLCache(CACHE_SECONDS)
        self._inflight: dict[str, asyncio.Future[Any]] = {}
        self._auth: dict[str, Any] | None = None
        self._own_session = False
        self.reaction_budget = CallBudget(REACTIONS_PER_MINUTE)

    async def start(self) -> None:
        """One connection pool for every call (slack-sdk opens a session per call otherwise: a new
        TCP connection for each users.info or reaction). Needs a running loop."""
        if self.client.session is None:
            self.client.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.client.timeout)
            )
            self._own_session = True
        self.paged_client.session = self.connections_client.session = self.client.session

    async def close(self) -> None:
        if self._own_session and self.client.session is not None:
            await self.client.session.close()
            self.client.session = self.paged_client.session = self.connections_client.session = None
            self._own_session = False

    # -- the call path ---------------------------------------------------------------------------

    async def _call(self, method: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run one Web API call (again, after a 429, when in the background); see the module doc."""
        counter = self.metrics.web_api_calls
        for attempt in range(BACKGROUND_ATTEMPTS):
            try:
                result = await call()
            except SlackApiError as exc:
                error = exc if isinstance(exc, GatewayError) else GatewayError(_answered(exc, method), exc)
                counter.labels(error.method, "rate_limited" if error.rate_limited else "error").inc()
                if not (error.rate_limited and in_background()) or attempt == BACKGROUND_ATTEMPTS - 1:
                    raise error from None
                wait = min(MAX_RETRY_AFTER, error.retry_after if error.retry_after is not None else 1.0)
                log.info("Slack rate limit on %s; retrying in %.0fs", method, wait)
                await asyncio.sleep(wait)
                continue
            except (aiohttp.ClientError, OSError, TimeoutError):
                counter.labels(method, "unreachable").inc()
                raise
            except AttributeError:
                # slack-sdk reads a `text/plain` answer (a proxy's page, a wrong SLACK_API_URL) as a
                # string and then fails on it: that is not Slack answering, so the same as no answer.
                counter.labels(method, "unreachable").inc()
                raise aiohttp.ClientPayloadError(
                    f"{method}: the answer is not Slack's (plain text)"
                ) from None
            counter.labels(method, "ok").inc()
            return result
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _shared(self, key: str, fetch: Callable[[], Awaitable[T]]) -> T:
        """One in-flight call per key: concurrent callers await the same result (or error)."""
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(fetch())
            self._inflight[key] = future
            future.add_done_callback(lambda _f: self._inflight.pop(key, None))
        # Shielded: one caller giving up (a cancelled request) must not cancel the others' call.
        return await asyncio.shield(future)

    async def _pages(
        self, method: str, call: Callable[[str | None], Awaitable[AsyncSlackResponse]]
    ) -> AsyncIterator[AsyncSlackResponse]:
        """Cursor pagination with every page through `_call` (slack-sdk's own iteration would not)."""
        cursor: str | None = None
        while True:
            page = await self._call(method, lambda c=cursor: call(c))  # type: ignore[misc]
            yield page
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return

    # -- methods ---------------------------------------------------------------------------------

    async def auth(self) -> dict[str, Any]:
        if self._auth is None:
            resp = await self._call("auth.test", self.client.auth_test)
            self._auth = dict(resp.data)  # type: ignore[arg-type]
        return self._auth

    async def channel_info(self, channel_id: str) -> dict[str, Any] | None:
        cached = self._channels.get(channel_id)
        if cached is not None:
            return cached or None
        return await self._shared(f"channel:{channel_id}", lambda: self._fetch_channel(channel_id))

    async def _fetch_channel(self, channel_id: str) -> dict[str, Any] | None:
        try:
            resp = await self._call(
                "conversations.info", lambda: self.client.conversations_info(channel=channel_id)
            )
            info: dict[str, Any] = dict(resp["channel"])
        except GatewayError as exc:
            if exc.error not in ("channel_not_found", "not_in_channel", "missing_scope"):
                raise
            info = {}
        self._channels.put(channel_id, info)
        return info or None

    def forget_channel(self, channel_id: str) -> None:
        self._channels.drop(channel_id)

    def forget_members(self, channel_id: str) -> None:
        """Someone joined or left: the cached member list is wrong now (and who sees a private
        channel's text depends on it)."""
        self._members.drop(channel_id)

    async def user_info(self, user_id: str) -> dict[str, Any] | None:
        cached = self._users.get(user_id)
        if cached is not None:
            return cached or None
        return await self._shared(f"user:{user_id}", lambda: self._fetch_user(user_id))

    async def _fetch_user(self, user_id: str) -> dict[str, Any] | None:
        try:
            resp = await self._call("users.info", lambda: self.client.users_info(user=user_id))
            user: dict[str, Any] = dict(resp["user"])
        except GatewayError as exc:
            if exc.error not in ("user_not_found", "users_not_found"):
                raise
            user = {}
        self._users.put(user_id, user)
        return user or None

    async def is_member(self, channel_id: str, user_id: str) -> bool:
        """Whether the user is in the channel (conversations.members, paginated, cached)."""
        members: frozenset[str] | None = self._members.get(channel_id)
        if members is None:
            members = await self._shared(f"members:{channel_id}", lambda: self._fetch_members(channel_id))
        return user_id in members

    async def _fetch_members(self, channel_id: str) -> frozenset[str]:
        collected: set[str] = set()
        pages = self._pages(
            "conversations.members",
            lambda cursor: self.client.conversations_members(channel=channel_id, limit=200, cursor=cursor),
        )
        async for page in pages:
            collected.update(page.get("members", []))
        members = frozenset(collected)
        self._members.put(channel_id, members)
        return members

    async def user_name(self, user_id: str) -> str | None:
        return _display_name(await self.user_info(user_id))

    def cached_user_name(self, user_id: str) -> str | None:
        """The name if users.info was already answered; never waits on Slack."""
        return _display_name(self._users.get(user_id))

    async def post_message(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> dict[str, Any]:
        resp = await self._call(
            "chat.postMessage",
            lambda: self.client.chat_postMessage(
                channel=channel, text=text, blocks=cap_blocks(blocks), thread_ts=thread_ts, unfurl_links=False
            ),
        )
        return dict(resp.data)  # type: ignore[arg-type]

    async def post_ephemeral(
        self, channel: str, user: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> None:
        await self._call(
            "chat.postEphemeral",
            lambda: self.client.chat_postEphemeral(
                channel=channel, user=user, text=text, blocks=cap_blocks(blocks)
            ),
        )

    async def update_message(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        resp = await self._call(
            "chat.update",
            lambda: self.client.chat_update(channel=channel, ts=ts, text=text, blocks=cap_blocks(blocks)),
        )
        return dict(resp.data)  # type: ignore[arg-type]

    async def open_dm(self, user_id: str) -> str:
        """The DM channel with a user. If conversations.open is refused (a missing im:write scope,
        say), the user id itself: chat.postMessage to a user id lands in the app's DM with them."""
        try:
            resp = await self._call(
                "conversations.open", lambda: self.client.conversations_open(users=user_id)
            )
        except GatewayError as exc:
            # Only when the *method* is refused; a user who cannot be DMed stays an error.
            if exc.error not in _DM_FALLBACK_ERRORS:
                raise
            log.warning("conversations.open for %s failed (%s); posting to the user id", user_id, exc.error)
            return user_id
        return str(resp["channel"]["id"])

    async def permalink(self, channel: str, ts: str) -> str | None:
        try:
            resp = await self._call(
                "chat.getPermalink", lambda: self.client.chat_getPermalink(channel=channel, message_ts=ts)
            )
        except GatewayError:
            return None
        return str(resp["permalink"])

    async def react(self, channel: str, ts: str, name: str) -> None:
        try:
            await self._call(
                "reactions.add", lambda: self.client.reactions_add(channel=channel, timestamp=ts, name=name)
            )
        except GatewayError as exc:
            if exc.error != "already_reacted":
                raise

    async def socket_mode_url(self, app_token: str) -> str:
        """apps.connections.open with the app-level token: a one-time WebSocket URL; SlackApiError
        if Slack refuses the token, aiohttp/OS errors if Slack cannot be reached."""
        response = await self.connections_client.apps_connections_open(app_token=app_token)
        return str(response["url"])

    async def join_public(self, channel: str) -> bool:
        """Join a public channel; False when Slack refuses (archived, private, not allowed)."""
        try:
            await self._call("conversations.join", lambda: self.client.conversations_join(channel=channel))
        except GatewayError as exc:
            log.warning("could not join %s: %s", channel, exc.error)
            return False
        return True

    async def history_page(self, channel: str, oldest: str, cursor: str | None, limit: int) -> Page:
        """One conversations.history page after `oldest` (newest first); RateLimited on 429."""
        args = {"channel": channel, "oldest": oldest, "limit": limit, "cursor": cursor or None}
        resp = await self._paged("conversations_history", args)
        messages = list(resp.get("messages") or [])
        return Page(messages, _next_cursor(resp), limit, len(messages))

    async def replies_page(self, channel: str, thread_ts: str, cursor: str | None, limit: int) -> Page:
        """One conversations.replies page of a thread, the parent left out; RateLimited on 429."""
        args = {"channel": channel, "ts": thread_ts, "limit": limit, "cursor": cursor or None}
        resp = await self._paged("conversations_replies", args)
        returned = list(resp.get("messages") or [])
        messages = [m for m in returned if m.get("ts") != thread_ts]
        return Page(messages, _next_cursor(resp), limit, len(returned))

    async def _paged(self, method: str, args: dict[str, Any]) -> Any:
        name, counter = method.replace("_", "."), self.metrics.web_api_calls
        try:
            call = getattr(self.paged_client, method)
            resp = await call(**{k: v for k, v in args.items() if v is not None})
        except SlackApiError as exc:
            if exc.response.status_code == 429:
                counter.labels(name, "rate_limited").inc()
                retry_after = float(exc.response.headers.get("Retry-After") or 60)
                raise RateLimited(name, retry_after) from None
            counter.labels(name, "error").inc()
            raise GatewayError(name, exc) from None
        except (aiohttp.ClientError, OSError, TimeoutError):
            counter.labels(name, "unreachable").inc()
            raise
        counter.labels(name, "ok").inc()
        return resp

    async def upload_markdown(
        self, channel: str, filename: str, content: str, title: str, thread_ts: str | None = None
    ) -> str | None:
        # slack-sdk's files_upload_v2 is getUploadURLExternal, the upload, then completeUploadExternal:
        # two Web API calls, each counted (a refusal under the method Slack answered it for).
        resp = await self._call(
            "files.completeUploadExternal",
            lambda: self.client.files_upload_v2(
                channel=channel, filename=filename, content=content, title=title, thread_ts=thread_ts
            ),
        )
        self.metrics.web_api_calls.labels("files.getUploadURLExternal", "ok").inc()
        files = resp.get("files") or [resp.get("file") or {}]
        return files[0].get("id") if files else None

    async def fetch_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """One message by ts, whether top-level or a thread reply."""
        resp = await self._call(
            "conversations.history",
            lambda: self.client.conversations_history(
                channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1
            ),
        )
        for message in resp.get("messages", []):
            if message.get("ts") == ts:
                return dict(message)
        try:
            resp = await self._call(
                "conversations.replies",
                lambda: self.client.conversations_replies(channel=channel, ts=ts, limit=1),
            )
        except GatewayError:
            return None
        for message in resp.get("messages", []):
            if message.get("ts") == ts:
                return dict(message)
        return None


# -- the live canvas (background work: bot/canvas/updater.py retries what fails here) ----------------


async def create_channel_canvas(gateway: SlackGateway, channel_id: str, title: str, markdown: str) -> str:
    resp = await gateway._call(
        "conversations.canvases.create",
        lambda: gateway.client.conversations_canvases_create(
            channel_id=channel_id, title=title, document_content={"type": "markdown", "markdown": markdown}
        ),
    )
    return str(resp["canvas_id"])


async def channel_canvas_id(gateway: SlackGateway, channel_id: str) -> str | None:
    """The channel's existing canvas (`properties.canvas.file_id`), read fresh rather than cached."""
    resp = await gateway._call(
        "conversations.info", lambda: gateway.client.conversations_info(channel=channel_id)
    )
    gateway.forget_channel(channel_id)
    canvas = ((resp["channel"] or {}).get("properties") or {}).get("canvas") or {}
    return canvas.get("file_id")


async def edit_canvas(gateway: SlackGateway, canvas_id: str, change: dict[str, Any]) -> None:
    """Exactly one operation: Slack accepts no more per canvases.edit call."""
    await gateway._call(
        "canvases.edit", lambda: gateway.client.canvases_edit(canvas_id=canvas_id, changes=[change])
    )


async def canvas_sections(gateway: SlackGateway, canvas_id: str, criteria: dict[str, Any]) -> list[str]:
    resp = await gateway._call(
        "canvases.sections.lookup",
        lambda: gateway.client.canvases_sections_lookup(canvas_id=canvas_id, criteria=criteria),
    )
    return [str(s["id"]) for s in resp.get("sections") or []]


async def pin(gateway: SlackGateway, channel_id: str, ts: str) -> None:
    try:
        await gateway._call("pins.add", lambda: gateway.client.pins_add(channel=channel_id, timestamp=ts))
    except GatewayError as exc:
        if exc.error != "already_pinned":
            raise
