"""The injected dependencies every listener and service receives, and how they are built.

Below the listeners and services in the import graph: they import this module, never `bot.app`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.canvas.updater import CanvasTuning, CanvasUpdater
from bot.capture.classify import Classifier
from bot.capture.rules import load_rules
from bot.capture.service import CaptureService, CaptureSettings
from bot.config import Settings
from bot.observability.metrics import Metrics
from bot.postmortem.render import TemplateRenderer
from bot.slack.context import ChannelRef
from bot.slack.gateway import SlackGateway
from bot.tasks import BackgroundTasks
from storage.db import Database


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
    canvas: CanvasUpdater | None = None  # None when SCRIBE_CANVAS=off
    metrics: Metrics = field(default_factory=Metrics)
    extras: dict[str, Any] = field(default_factory=dict)

    async def channel_ref(self, channel_id: str, known_name: str | None = None) -> ChannelRef:
        """Is this an incident channel? Decided by name; the name comes from the payload when Slack
        sent it (commands, buttons) and from a cached conversations.info otherwise."""
        if known_name == "privategroup":  # what slash commands say for any private channel
            known_name = None
        if channel_id.startswith("D") or known_name == "directmessage":
            return ChannelRef(channel_id, None, False)  # DMs are never incident channels
        name = known_name
        if name is None:
            info = await self.gateway.channel_info(channel_id) or {}
            name = None if info.get("is_im") else info.get("name")
        incident = bool(name) and bool(self.settings.channel_regex.search(name or ""))
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
    metrics = Metrics()
    gateway = SlackGateway(client, metrics)
    tasks = BackgroundTasks()
    capture = CaptureService(
        db=database,
        gateway=gateway,
        classifier=classifier,
        clock=clock,
        tasks=tasks,
        metrics=metrics,
        settings=CaptureSettings(
            mark_reaction=settings.scribe_mark_reaction or None,
            capture_reaction=settings.scribe_capture_reaction,
            undo_reaction=settings.scribe_undo_reaction,
            services=settings.service_names,
        ),
    )
    renderer = TemplateRenderer(settings.scribe_templates_dir)
    canvas = None
    if settings.scribe_canvas == "on":
        canvas = CanvasUpdater(
            db=database,
            gateway=gateway,
            text=lambda: renderer.env.get_template("live/canvas.j2").module,
            tz=settings.zone,
            clock=clock,
            tuning=CanvasTuning.for_debounce(settings.scribe_canvas_debounce_seconds),
            counter=metrics.canvas_updates,
        )
        capture.changed = canvas.notify
    return Services(
        settings=settings,
        db=database,
        gateway=gateway,
        classifier=classifier,
        renderer=renderer,
        capture=capture,
        tasks=tasks,
        clock=clock,
        canvas=canvas,
        metrics=metrics,
    )
