"""Wiring only: settings in, a Bolt app and an aiohttp application out. Nothing is built at import."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.services import Services, build_services, utc_now
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
    client = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    services = build_services(settings, client, db=db, clock=clock)
    app = AsyncApp(
        client=services.gateway.client,
        signing_secret=settings.slack_signing_secret,
        # Listeners run before the HTTP answer: an event acknowledged is an event committed.
        process_before_response=True,
        raise_error_for_unhandled_request=False,
        # No assistant threads or workflow functions here: skip Bolt's middleware for them, which
        # otherwise runs on every event.
        attaching_conversation_kwargs_enabled=False,
        attaching_function_token_enabled=False,
    )
    middleware.register(app, services)
    for module in (events, commands, actions, shortcuts):
        module.register(app, services)
    return app, services


class DatabaseGate:
    """/healthz: 200 once the database is reachable and its schema current, 503 until then.

    `scribe serve` may start before the database is up; the gate then waits for it and builds the
    schema if the database is empty (an existing schema that is behind stays 503: run migrate)."""

    RETRY_SECONDS = 2.0

    def __init__(self, db: Database) -> None:
        self.db = db
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
        self._task = asyncio.get_running_loop().create_task(self._prepare(), name="database gate")

    async def _prepare(self) -> None:
        warned = False
        while True:
            try:
                state = await self.db.prepare() if await self.db.ping() else None
            except Exception:
                log.warning("database not ready yet", exc_info=True)
                state = None
            if state in ("ready", "created"):
                self.schema_ok = True
                log.info("database %s", "schema created" if state == "created" else "ready")
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


def create_web_app(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Callable[[], datetime] = utc_now,
    reminders: bool = True,
    startup_backfill: bool = True,
    prepare_database: bool = False,
) -> web.Application:
    bolt, services = create_app(settings, db=db, clock=clock)
    web_app = web.Application()
    web_app[BOLT_KEY] = bolt
    web_app[SERVICES_KEY] = services

    async def slack_events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    gate = DatabaseGate(services.db)

    async def healthz(_request: web.Request) -> web.Response:
        ok, state = await gate.health()
        return web.json_response({"ok": ok, "database": state}, status=200 if ok else 503)

    web_app.router.add_post("/slack/events", slack_events)
    web_app.router.add_get("/healthz", healthz)

    async def on_startup(_app: web.Application) -> None:
        await services.gateway.start()
        if prepare_database:
            gate.start()
        if reminders:
            from bot.followups.scheduler import ReminderScheduler

            scheduler = ReminderScheduler(services)
            scheduler.start()
            services.extras["scheduler"] = scheduler
        if services.canvas is not None:
            services.canvas.start()
        if startup_backfill:
            from bot.capture.backfill import backfill_open_incidents

            services.tasks.spawn(backfill_open_incidents(services), name="startup backfill")

    async def on_cleanup(_app: web.Application) -> None:
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
