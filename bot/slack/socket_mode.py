"""`scribe socket`: the same Bolt app and services as `serve`, over Slack's Socket Mode.

Start: the app token is checked first (a token Slack refuses is the user's to fix: one line naming
SLACK_APP_TOKEN, exit 2); while Slack cannot be reached it is retried with one log line per try.
Then slack-sdk's client keeps the connection (acks, pings), its log records kept to one line
each, and the runner reconnects whenever the connection is lost or Slack asks for a refresh
(bot/slack/socket_client.py), retrying with one log line per try until a connection opens. An
app token Slack refuses meanwhile ends `serve_until` with AppTokenRefused (exit 2, as at start).
Stop: envelopes being handled are finished and acknowledged (`_CountingHandler.drain`), then the
connection, reminders, background work, capture writer, Slack session and database are closed in
that order.

slack-sdk's `close()` sends the WebSocket close frame and then waits for the peer's answer with
aiohttp's default `ws_close` timeout, 10 s, which it gives no way to set. A peer that does not
answer (network gone, a stalled server) held SIGTERM that long, so the answer is waited for
`socket_client.CLOSE_SECONDS` only: the frame is already sent, and an envelope not acknowledged is
redelivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_bolt.adapter.socket_mode.async_base_handler import AsyncBaseSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app, send_async_response
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.observability.logs import log_context
from bot.observability.metrics import Metrics, request_outcome
from bot.slack.middleware import channel_id_of
from bot.slack.socket_client import SocketClient, close_session

if TYPE_CHECKING:
    from bot.followups.scheduler import ReminderScheduler
    from bot.services import Services

log = logging.getLogger("scribe.socket")

# Errors that mean "try again later", not "this token is wrong".
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
RETRY_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)
# One try at opening the WebSocket; aiohttp's own limit is its session's 5 minutes.
CONNECT_SECONDS = 10.0
# slack-sdk pings this often, and takes four pings unanswered for a dead connection.
PING_SECONDS = 10.0
# How long a stop waits for envelopes being handled: Slack sends one again after 3 s unacknowledged.
DRAIN_SECONDS = 3.0


class AppTokenRefused(Exception):
    """Slack refused SLACK_APP_TOKEN (invalid_auth, not_allowed_token_type, …)."""


class _OneLine(logging.Filter):
    """slack-sdk logs connection failures with a traceback on every retry: keep the message only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            error = record.exc_info[1]
            record.exc_info = record.exc_text = None
            record.msg, record.args = f"{record.getMessage()} ({type(error).__name__})", None
        return True


def _sdk_logger() -> logging.Logger:
    logger = logging.getLogger("scribe.socket.sdk")
    if not any(isinstance(f, _OneLine) for f in logger.filters):
        logger.addFilter(_OneLine())
    return logger


class _CountingHandler(AsyncBaseSocketModeHandler):
    """Bolt's handler (its own two steps: dispatch, then ack) with each envelope counted and logged
    as `serve` counts and logs a request: outcome, seconds to the ack, the channel in log records.

    A stop drains it as aiohttp drains `serve`: envelopes being handled finish and are acknowledged
    before the connection closes; one arriving meanwhile is left unacknowledged, so Slack sends it
    again (to a replica, or to this process's successor)."""

    def __init__(self, app: AsyncApp, client: SocketClient, metrics: Metrics) -> None:
        self.app, self.client, self.metrics = app, client, metrics
        self.draining = False
        self._handling: set[asyncio.Future[Any]] = set()
        client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]

    async def handle(self, client: SocketClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        if self.draining:
            return
        task = asyncio.current_task()
        assert task is not None  # slack-sdk runs each envelope in a task of its own
        self._handling.add(task)
        try:
            started, wall = time.perf_counter(), time.time()
            with log_context(channel=channel_id_of(req.payload)):
                response = await run_async_bolt_app(self.app, req)
            await send_async_response(client, req, response, wall)
            self.metrics.ack_seconds.observe(time.perf_counter() - started)
            self.metrics.slack_requests.labels(request_outcome(response.status)).inc()
        finally:
            self._handling.discard(task)

    async def drain(self, timeout: float) -> None:
        """Take no more envelopes; wait up to `timeout` for those being handled, then cancel them."""
        self.draining = True
        if not self._handling:
            return
        _done, late = await asyncio.wait(set(self._handling), timeout=timeout)
        if late:
            log.warning(
                "%d envelope(s) still being handled after %.0f s; Slack will send them again",
                len(late),
                timeout,
            )
            for task in late:
                task.cancel()
            await asyncio.wait(late)


async def _unless_stopped(work: Awaitable[None], stop: asyncio.Event | None) -> bool:
    """Run `work`; False (and `work` cancelled) if `stop` is set first. A retry loop is deaf to
    SIGTERM otherwise: a proxy refusing the WebSocket upgrade would hold it forever."""
    if stop is None:
        await work
        return True
    working, stopping = asyncio.ensure_future(work), asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({working, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not working.done():
            working.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await working
    return not working.cancelled()


def _once(callback: Callable[[], None] | None) -> Callable[[], None]:
    """`callback` run by the first call only (nothing when None)."""
    pending = [callback] if callback is not None else []

    def run() -> None:
        while pending:
            pending.pop()()

    return run


def _failure(exc: BaseException) -> str | None:
    """Why a try at Slack failed, when trying again may help; AppTokenRefused when it cannot,
    None when `exc` is not a failure to reach Slack (a bug: let it propagate)."""
    if isinstance(exc, SlackApiError):
        error = str(exc.response.get("error") or exc.response.status_code)
        if error not in TRANSIENT_ERRORS and exc.response.status_code != 429:
            raise AppTokenRefused(f"SLACK_APP_TOKEN was refused by Slack ({error})") from None
        return error
    if isinstance(exc, aiohttp.ClientResponseError):  # its text has the URL, one-time ticket and all
        return f"{type(exc).__name__}: {exc.status} {exc.message}"
    if isinstance(exc, aiohttp.ClientError | OSError | TimeoutError):
        return (f"{type(exc).__name__}: {exc}".strip().splitlines() or [type(exc).__name__])[0]
    return None


async def _retrying(
    attempt: Callable[[], Awaitable[None]], failed: str, after_first_try: Callable[[], None] = lambda: None
) -> None:
    """`attempt` until it succeeds, backing off to 30 s with one warning per failed try (`failed`
    names what failed); AppTokenRefused ends it."""
    tries = 0
    while True:
        try:
            await attempt()
            return
        except Exception as exc:
            reason = _failure(exc)
            if reason is None:
                raise
        delay = RETRY_SECONDS[min(tries, len(RETRY_SECONDS) - 1)]
        tries += 1
        log.warning("%s (%s); retrying in %.0f s", failed, reason, delay)
        after_first_try()
        await asyncio.sleep(delay)


class SocketModeRunner:
    def __init__(
        self,
        app: AsyncApp,
        services: Services,
        app_token: str,
        *,
        reminders: bool = True,
        startup_backfill: bool = True,
        dispose_database: bool = True,
    ) -> None:
        self.app, self.services, self.app_token = app, services, app_token
        self.reminders, self.startup_backfill, self.dispose_database = (
            reminders,
            startup_backfill,
            dispose_database,
        )
        self.handler: _CountingHandler | None = None
        self._scheduler: ReminderScheduler | None = None
        self._keeper: asyncio.Task[None] | None = None

    async def start(
        self,
        stop: asyncio.Event | None = None,
        *,
        once_reachable: Callable[[], Awaitable[None]] | None = None,
        once_tried: Callable[[], None] | None = None,
    ) -> bool:
        """Connect; False when `stop` was set before Slack could be reached. `once_reachable` runs
        when Slack first answers (the bot token's check: one retry loop, one log line per try).
        `once_tried` runs once, after the first try failed or `once_reachable` returned: a token
        refused at the first answer ends the start before it runs."""
        tried = _once(once_tried)
        await self.services.gateway.start()
        check = _retrying(self._check_app_token, "Slack not reachable for Socket Mode", tried)
        if not await _unless_stopped(check, stop):
            return False
        if once_reachable is not None:
            await once_reachable()
        tried()
        if self.reminders:
            from bot.followups.scheduler import ReminderScheduler

            scheduler = ReminderScheduler(self.services)
            scheduler.start()
            self._scheduler = scheduler
        if self.startup_backfill:
            from bot.capture.backfill import backfill_open_incidents

            self.services.tasks.spawn(backfill_open_incidents(self.services), name="startup backfill")
        if self.services.canvas is not None:
            self.services.canvas.start()
        client = SocketClient(
            self.app_token,
            self.services.metrics,
            logger=_sdk_logger(),
            web_client=self.services.gateway.connections_client,
            ping_interval=PING_SECONDS,
        )
        self.handler = _CountingHandler(self.app, client, self.services.metrics)
        if not await _unless_stopped(self._connect(), stop):
            return False
        log.info("connected to Slack in Socket Mode")
        self._keeper = asyncio.create_task(self._keep_connected(client), name="socket mode reconnects")
        return True

    async def serve_until(self, stop: asyncio.Event) -> None:
        """Until `stop` is set; AppTokenRefused if Slack refuses the app token on a reconnect."""
        assert self._keeper is not None, "start() first"
        await _unless_stopped(self._keeper, stop)

    async def connected(self) -> bool:
        """A Socket Mode connection Slack delivers to is open."""
        link = self.handler.client if self.handler is not None else None  # Socket Mode's, not the Web API's
        return link is not None and await link.is_open()

    async def _check_app_token(self) -> None:
        await self.services.gateway.socket_mode_url(self.app_token)  # the URL is not needed yet

    async def _connect(self) -> None:
        """Open a connection, trying again until one opens (one warning per failed try)."""
        assert self.handler is not None
        client = self.handler.client

        async def once() -> None:
            client.wss_uri = await self.services.gateway.socket_mode_url(self.app_token)
            async with asyncio.timeout(CONNECT_SECONDS):
                await client.connect()

        await _retrying(once, "Socket Mode connection did not open")

    async def _keep_connected(self, link: SocketClient) -> None:
        """Reconnect whenever the client asks for it and its connection is not open (a refresh, a
        drop, a dead connection); AppTokenRefused ends it."""
        while True:
            await link.reconnect_wanted.wait()
            link.reconnect_wanted.clear()
            if await link.is_open():
                continue
            link.forget_session()
            log.info("Socket Mode connection closed or retired by Slack; reconnecting")
            await self._connect()
            log.info("reconnected to Slack in Socket Mode")

    async def close(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError, AppTokenRefused):
                await self._keeper
            self._keeper = None
        if self.handler is not None:
            await self.handler.drain(DRAIN_SECONDS)
            await _close_client(self.handler.client)
            self.handler = None
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            await scheduler.shutdown()
        if self.services.canvas is not None:
            await self.services.canvas.close()
        await self.services.tasks.close()
        await self.services.capture.close()
        await self.services.gateway.close()
        if self.dispose_database:
            await self.services.db.dispose()


async def _close_client(client: SocketClient) -> None:
    """The client's own close, with the close handshake bounded by CLOSE_SECONDS (module doc)."""
    if client.current_session is not None:
        await close_session(client.current_session)
    await client.close()
