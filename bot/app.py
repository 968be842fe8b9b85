"""Wiring only: settings in, a Bolt app and an aiohttp application out. Nothing is built at import."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.capture.classify import Classifier
from bot.capture.rules import load_rules
from bot.capture.service import CaptureService, CaptureSettings
from bot.config import Settings
from bot.postmortem.render import TemplateRenderer
from bot.slack.context import ChannelRef
from bot.slack.gateway import SlackGateway
from bot.tasks import BackgroundTasks
from storage.db import Database

log = logging.getLogger(__name__)

BOLT_KEY: web.AppKey[AsyncApp] = web.AppKey("bolt", AsyncApp)
SERVICES_KEY: web.AppKey[Services] = web.AppKey("services")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """Everything a listener needs, built once per app and injected (tests swap the clock)."""

    settings: Settings
    db: Database
    gateway: SlackGateway
    classifier: Classifier
    renderer: TemplateRenderer
    capture: CaptureService
    tasks: BackgroundTasks
    clock: Callable[[], datetime] = utc_now
    extras: dict[str, Any] = field(default_factory=dict)

    async def channel_ref(self, channel_id: str) -> ChannelRef:
        if channel_id.startswith("D"):  # DMs are never incident channels; no lookup needed
            return ChannelRef(channel_id, None, False)
        info = await self.gateway.channel_info(channel_id)
        name = (info or {}).get("name")
        incident = (
            bool(name) and not (info or {}).get("is_im") and bool(self.settings.channel_regex.search(name))
        )
        return ChannelRef(channel_id, name, incident)


def build_services(
    settings: Settings,
    client: AsyncWebClient,
    *,
    db: Database | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Services:
    rules = load_rules(settings.scribe_rules_file) if settings.scribe_rules_file else []
    classifier = Classifier(rules)
    database = db or Database(settings.database_url)
    gateway = SlackGateway(client)
    tasks = BackgroundTasks()
    capture = CaptureService(
        db=database,
        gateway=gateway,
        classifier=classifier,
        clock=clock,
        tasks=tasks,
        settings=CaptureSettings(
            mark_reaction=settings.scribe_mark_reaction or None,
            capture_reaction=settings.scribe_capture_reaction,
            undo_reaction=settings.scribe_undo_reaction,
        ),
    )
    return Services(
        settings=settings,
        db=database,
        gateway=gateway,
        classifier=classifier,
        renderer=TemplateRenderer(settings.scribe_templates_dir),
        capture=capture,
        tasks=tasks,
        clock=clock,
    )


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
    )
    middleware.register(app, services)
    for module in (events, commands, actions, shortcuts):
        module.register(app, services)
    return app, services


def create_web_app(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Callable[[], datetime] = utc_now,
    reminders: bool = True,
    startup_backfill: bool = True,
) -> web.Application:
    bolt, services = create_app(settings, db=db, clock=clock)
    web_app = web.Application()
    web_app[BOLT_KEY] = bolt
    web_app[SERVICES_KEY] = services

    async def slack_events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    async def healthz(_request: web.Request) -> web.Response:
        if await services.db.ping():
            return web.json_response({"ok": True, "database": "reachable"})
        return web.json_response({"ok": False, "database": "unreachable"}, status=503)

    web_app.router.add_post("/slack/events", slack_events)
    web_app.router.add_get("/healthz", healthz)

    async def on_startup(_app: web.Application) -> None:
        if reminders:
            from bot.followups.scheduler import ReminderScheduler

            scheduler = ReminderScheduler(services)
            scheduler.start()
            services.extras["scheduler"] = scheduler
        if startup_backfill:
            from bot.capture.backfill import backfill_open_incidents

            services.tasks.spawn(backfill_open_incidents(services), name="startup backfill")

    async def on_cleanup(_app: web.Application) -> None:
        scheduler = services.extras.pop("scheduler", None)
        if scheduler is not None:
            await scheduler.shutdown()
        await services.tasks.close()
        await services.capture.close()
        if db is None:
            await services.db.dispose()

    web_app.on_startup.append(on_startup)
    web_app.on_cleanup.append(on_cleanup)
    return web_app
