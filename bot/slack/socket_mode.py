"""`scribe socket`: the same Bolt app and services as `serve`, over Slack's Socket Mode.

Start: the app token is checked first (a token Slack refuses is the user's to fix: one line naming
SLACK_APP_TOKEN, exit 2); while Slack cannot be reached it is retried with one log line per try.
Then slack-sdk's client keeps the connection (acks, `disconnect` refreshes, reconnects), with its
log records kept to one line each. Stop: envelopes being handled are finished and acknowledged
(`_CountingHandler.drain`), then the connection, reminders, background work, capture writer, Slack
session and database are closed in that order.

slack-sdk's `close()` sends the WebSocket close frame and then waits for the peer's answer with
aiohttp's default `ws_close` timeout, 10 s, which it gives no way to set. A peer that does not
answer (network gone, a stalled server) held SIGTERM that long, so the answer is waited for
`CLOSE_SECONDS` only: the frame is already sent, and an envelope not acknowledged is redelivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app, send_async_response
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.observability.logs import log_context
from bot.observability.metrics import Metrics, request_outcome
from bot.slack.middleware import channel_id_of

if TYPE_CHECKING:
    from bot.followups.scheduler import ReminderScheduler
    from bot.services import Services

log = logging.getLogger("scribe.socket")

# Errors that mean "try again later", not "this token is wrong".
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
RETRY_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)
# How long a stop waits for Slack to answer the close frame (one round trip when all is well).
CLOSE_SECONDS = 0.5
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


class _CountingHandler(AsyncSocketModeHandler):
    """Bolt's handler (its own two steps: dispatch, then ack) with each envelope counted and logged
    as `serve` counts and logs a request: outcome, seconds to the ack, the channel in log records.

    A stop drains it as aiohttp drains `serve`: envelopes being handled finish and are acknowledged
    before the connection closes; one arriving meanwhile is left unacknowledged, so Slack sends it
    again (to a replica, or to this process's successor)."""

    def __init__(self, app: AsyncApp, app_token: str, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(app, app_token, **kwargs)
        self.metrics = metrics
        self.draining = False
        self._handling: set[asyncio.Future[Any]] = set()

    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
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
    """Run `work`; False (and `work` cancelled) if `stop` is set first. slack-sdk's connect retries
    until the WebSocket opens, deaf to SIGTERM: a proxy refusing the upgrade would hold it forever."""
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
        if not await self._wait_for_slack(stop or asyncio.Event(), tried):
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
        self.handler = _CountingHandler(
            self.app,
            self.app_token,
            self.services.metrics,
            logger=_sdk_logger(),
            web_client=self.services.gateway.connections_client,
        )
        if not await _unless_stopped(self.handler.connect_async(), stop):
            return False
        log.info("connected to Slack in Socket Mode")
        return True

    async def connected(self) -> bool:
        """The Socket Mode connection is open (envelopes can arrive)."""
        if self.handler is None:
            return False
        connection = self.handler.client  # slack-sdk's Socket Mode client, not a Web API client
        return await connection.is_connected()

    async def _wait_for_slack(self, stop: asyncio.Event, after_first_try: Callable[[], None]) -> bool:
        attempt = 0
        while not stop.is_set():
            try:
                await self.services.gateway.check_app_token(self.app_token)
                return True
            except SlackApiError as exc:
                error = str(exc.response.get("error") or exc.response.status_code)
                if error not in TRANSIENT_ERRORS and exc.response.status_code != 429:
                    raise AppTokenRefused(f"SLACK_APP_TOKEN was refused by Slack ({error})") from None
                reason = error
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                reason = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
            delay = RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]
            attempt += 1
            log.warning("Slack not reachable for Socket Mode (%s); retrying in %.0f s", reason, delay)
            after_first_try()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
        return False

    async def close(self) -> None:
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


async def _close_client(client: SocketModeClient) -> None:
    """The client's own close, with the close handshake bounded by CLOSE_SECONDS (module doc)."""
    try:
        async with asyncio.timeout(CLOSE_SECONDS):
            await client.close()
    except TimeoutError:
        log.info("Slack did not answer the close within %.1f s; dropping the connection", CLOSE_SECONDS)
        # Interrupted in disconnect(): close again without that session, whose transport goes with
        # the client's aiohttp session; the rest (its tasks, that session) is closed now.
        client.current_session = None
        await client.close()
