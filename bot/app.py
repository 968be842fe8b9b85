"""Wiring only: settings in, a Bolt app and an aiohttp application out. Nothing is built at import."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings, SettingsError
from bot.observability.logs import log_context, outage
from bot.observability.metrics import CONTENT_TYPE, request_outcome
from bot.services import Services, build_services, utc_now
from bot.slack import envelope
from bot.slack.gateway import REFUSED_TOKEN_ERRORS, GatewayError, SlackGateway
from bot.slack.middleware import channel_id_of
from storage.db import Database

log = logging.getLogger(__name__)

BOLT_KEY: web.AppKey[AsyncApp] = web.AppKey("bolt", AsyncApp)
SERVICES_KEY: web.AppKey[Services] = web.AppKey("services")


def create_app(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> tuple[AsyncApp, Services]:
    from bot.slack import middleware
    from bot.slack.listeners import actions, commands, events, shortcuts

    settings.require("slack_bot_token", "slack_signing_secret")
    client = AsyncWebClient(token=settings.secret(settings.slack_bot_token), base_url=settings.slack_api_url)
    services = build_services(settings, client, db=db, clock=clock)
    gateway = services.gateway

    async def authorize() -> AuthorizeResult:
        # Bolt's own authorization would make an auth.test of its own, outside the gateway (not
        # counted, not retried as ours are); the gateway's one, cached, answers instead.
        return AuthorizeResult.from_auth_test_response(
            auth_test_response=await gateway.auth(), bot_token=client.token
        )

    app = AsyncApp(
        # A client without the token: Bolt takes it from `authorize` (it warns when given both).
        client=AsyncWebClient(base_url=settings.slack_api_url, timeout=client.timeout),
        authorize=authorize,
        signing_secret=settings.secret(settings.slack_signing_secret),
        # Listeners run before the HTTP answer: an event acknowledged is an event committed.
        process_before_response=True,
        raise_error_for_unhandled_request=False,
        # No assistant threads or workflow functions here: skip Bolt's middleware for them, which
        # otherwise runs on every event.
        attaching_conversation_kwargs_enabled=False,
        attaching_function_token_enabled=False,
        # /slack/events checks Slack's signature itself, before anything parses the body
        # (bot/slack/envelope.py); Socket Mode carries no signature.
        request_verification_enabled=False,
    )
    middleware.register(app, services)
    for module in (events, commands, actions, shortcuts):
        module.register(app, services)
    return app, services


class DatabaseGate:
    """/healthz: 200 once the database is reachable and its schema current, 503 until then.

    `scribe serve` may start before the database is up; the gate then waits for it (building the
    schema if the database is empty and `prepare` is set; an existing schema that is behind stays
    503: run migrate) and runs `on_ready` — the catch-up of open incidents — once it is there,
    however late that is."""

    RETRY_SECONDS = 2.0

    def __init__(
        self, db: Database, *, prepare: bool = True, on_ready: Callable[[], None] | None = None
    ) -> None:
        self.db = db
        self.prepare = prepare
        self.on_ready = on_ready
        self.schema_ok = False
        self._task: asyncio.Task[None] | None = None

    async def health(self) -> tuple[bool, str]:
        if not await self.db.ping():
            return False, "unreachable"
        if not self.schema_ok:
            try:
                self.schema_ok = await self.db.current_revision() == Database.head_revision()
            except Exception:
                return False, "unreachable"
        return (True, "ready") if self.schema_ok else (False, "schema out of date: run `scribe migrate`")

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._wait(), name="database gate")

    async def _state(self) -> str | None:
        if not await self.db.ping():
            return None
        if self.prepare:
            return await self.db.prepare()
        return "ready" if await self.db.current_revision() == Database.head_revision() else "outdated"

    async def _wait(self) -> None:
        warned = False
        while True:
            try:
                state = await self._state()
            except Exception as exc:
                if (reason := outage(exc)) is None:
                    log.warning("database not ready yet", exc_info=True)
                else:
                    log.warning("database not ready yet (%s)", reason)
                state = None
            if state in ("ready", "created"):
                self.schema_ok = True
                log.info("database %s", "schema created" if state == "created" else "ready")
                if self.on_ready is not None:
                    self.on_ready()
                return
            if state == "outdated" and not warned:
                log.error("database schema is out of date: run `scribe migrate`; /healthz answers 503")
                warned = True
            if state is None and not warned:
                log.warning("database not reachable; /healthz answers 503 until it is")
                warned = True
            await asyncio.sleep(self.RETRY_SECONDS)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class SlackGate:
    """Start-up check of the bot token with auth.test. A token Slack refuses stops the start
    (SettingsError naming SLACK_BOT_TOKEN: exit 2); Slack unreachable is tried again until it
    answers, /healthz answering 503 meanwhile."""

    RETRY_SECONDS = 5.0
    FIRST_TRY_SECONDS = 10.0

    def __init__(self, gateway: SlackGateway) -> None:
        self.gateway = gateway
        self.ok = False
        self.refused: str | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if await self._try(self.FIRST_TRY_SECONDS, first=True):
            return
        self._task = asyncio.get_running_loop().create_task(self._retry(), name="slack gate")

    async def _try(self, timeout: float, *, first: bool = False) -> bool:
        try:
            auth = await asyncio.wait_for(self.gateway.auth(), timeout)
        except GatewayError as exc:
            if exc.error in REFUSED_TOKEN_ERRORS:
                self.refused = exc.error
                message = f"SLACK_BOT_TOKEN was refused by Slack ({exc.error})"
                if first:
                    raise SettingsError(message) from None
                log.error("%s; /healthz answers 503", message)
                return True  # nothing to retry: the token has to change
            reason = exc.error
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            reason = type(exc).__name__ if not str(exc) else str(exc).splitlines()[0]
        else:
            self.ok = True
            log.info(
                "Slack accepted the bot token (team %s, bot user %s)",
                auth.get("team_id"),
                auth.get("user_id"),
            )
            return True
        log.warning("Slack not reachable for auth.test (%s); retrying in %.0fs", reason, self.RETRY_SECONDS)
        return False

    async def _retry(self) -> None:
        while True:
            await asyncio.sleep(self.RETRY_SECONDS)
            if await self._try(self.FIRST_TRY_SECONDS):
                return

    def state(self) -> str:
        """/healthz's `slack`: ok, the refusal, or unreachable (not answered yet)."""
        return "ok" if self.ok else (self.refused or "unreachable")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def start_catch_up(services: Services) -> None:
    """Read what open incidents missed while the bot was away (in the background)."""
    from bot.capture.backfill import backfill_open_incidents

    services.tasks.spawn(backfill_open_incidents(services), name="startup backfill")


def add_health_routes(
    web_app: web.Application,
    services: Services,
    gate: DatabaseGate,
    slack_state: Callable[[], Awaitable[str]],
) -> None:
    """GET /healthz and GET /metrics, the same for `serve` and `socket`: 200 only when the database
    is ready and `slack_state` says "ok"; otherwise 503 with a body saying which is not."""

    async def healthz(_request: web.Request) -> web.Response:
        ok, state = await gate.health()
        slack = await slack_state()
        ok = ok and slack == "ok"
        return web.json_response({"ok": ok, "database": state, "slack": slack}, status=200 if ok else 503)

    async def metrics_page(_request: web.Request) -> web.Response:
        return web.Response(body=services.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics_page)


def create_health_app(
    services: Services, gate: DatabaseGate, slack_state: Callable[[], Awaitable[str]]
) -> web.Application:
    """`scribe socket`'s HTTP side: /healthz and /metrics only (in Socket Mode Slack never POSTs)."""
    web_app = web.Application()
    web_app[SERVICES_KEY] = services
    add_health_routes(web_app, services, gate, slack_state)
    return web_app


def create_web_app(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Callable[[], datetime] = utc_now,
    reminders: bool = True,
    startup_backfill: bool = True,
    prepare_database: bool = False,
    check_token: bool = True,
) -> web.Application:
    bolt, services = create_app(settings, db=db, clock=clock)
    web_app = web.Application()
    web_app[BOLT_KEY] = bolt
    web_app[SERVICES_KEY] = services
    metrics = services.metrics

    verifier = SignatureVerifier(settings.secret(settings.slack_signing_secret))

    def refuse(status: int, why: str) -> web.Response:
        metrics.slack_requests.labels(request_outcome(status)).inc()
        return web.Response(status=status, text=why)

    async def slack_events(request: web.Request) -> web.Response:
        started = time.perf_counter()
        if not envelope.signed(verifier, await request.read(), request.headers):
            # Not Slack's: nothing of it is parsed or logged (Bolt's own check logged the body).
            log.info("refused a request to /slack/events: no valid Slack signature")
            return refuse(401, "invalid request signature")
        try:
            bolt_request = await to_bolt_request(request)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError):
            # Bolt parses the body and reads its ids while building the request: JSON or form that
            # does not parse (UnicodeDecodeError is a ValueError), or fields of the wrong type.
            why = "the body does not parse as a Slack payload"
        else:
            why = envelope.problem(bolt_request.body) or ""
        if why:
            log.warning("refused a signed request to /slack/events: %s", why)
            return refuse(400, why)
        with log_context(channel=channel_id_of(bolt_request.body)):
            bolt_response = await bolt.async_dispatch(bolt_request)
        metrics.ack_seconds.observe(time.perf_counter() - started)
        metrics.slack_requests.labels(request_outcome(bolt_response.status)).inc()
        return await to_aiohttp_response(bolt_response)

    gate = DatabaseGate(
        services.db,
        prepare=prepare_database,
        on_ready=functools.partial(start_catch_up, services) if startup_backfill else None,
    )
    slack_gate = SlackGate(services.gateway)

    async def slack_state() -> str:
        return slack_gate.state() if check_token else "ok"

    web_app.router.add_post("/slack/events", slack_events)
    add_health_routes(web_app, services, gate, slack_state)

    async def on_startup(_app: web.Application) -> None:
        await services.gateway.start()
        if check_token:
            try:
                await slack_gate.start()
            except SettingsError:
                await services.gateway.close()  # no cleanup follows a failed start-up
                raise
        gate.start()
        if reminders:
            from bot.followups.scheduler import ReminderScheduler

            scheduler = ReminderScheduler(services)
            scheduler.start()
            services.extras["scheduler"] = scheduler
        if services.canvas is not None:
            services.canvas.start()

    async def on_cleanup(_app: web.Application) -> None:
        await slack_gate.stop()
        await gate.stop()
        scheduler = services.extras.pop("scheduler", None)
        if scheduler is not None:
            await scheduler.shutdown()
        if services.canvas is not None:
            await services.canvas.close()
        await services.tasks.close()
        await services.capture.close()
        await services.gateway.close()
        if db is None:
            await services.db.dispose()

    web_app.on_startup.append(on_startup)
    web_app.on_cleanup.append(on_cleanup)
    return web_app
