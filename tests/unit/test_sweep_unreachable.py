"""Background work that cannot reach the database logs one line, not a traceback: the reminder sweep
each tick (the next one retries), the canvas poll once, then slowing down until the database is back."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.canvas.updater import CanvasTuning, CanvasUpdater
from bot.config import Settings
from bot.followups.scheduler import ReminderScheduler
from bot.services import build_services
from bot.slack.gateway import SlackGateway


async def test_an_unreachable_database_is_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret="s",
        database_url="postgresql+asyncpg://nobody:pw@127.0.0.1:9/none",  # port 9: nothing listens
    )
    services = build_services(settings, AsyncWebClient(token="xoxb-test"))
    assert isinstance(services.gateway, SlackGateway)
    scheduler = ReminderScheduler(services)
    try:
        with caplog.at_level(logging.WARNING, logger="bot.followups.scheduler"):
            await scheduler._tick()
    finally:
        await services.db.dispose()
    records = [r for r in caplog.records if r.name == "bot.followups.scheduler"]
    assert len(records) == 1 and records[0].exc_info is None
    assert records[0].getMessage().startswith("follow-up reminder sweep failed:")
    assert "\n" not in records[0].getMessage() and "pw" not in records[0].getMessage()


async def test_the_canvas_poll_of_an_unreachable_database_is_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret="s",
        database_url="postgresql+asyncpg://nobody:pw@127.0.0.1:9/none",
    )
    services = build_services(settings, AsyncWebClient(token="xoxb-test"))
    updater = CanvasUpdater(
        db=services.db, gateway=services.gateway, text=lambda: None, tz=UTC, clock=services.clock,
        tuning=CanvasTuning(poll=0.05),
    )  # fmt: skip
    try:
        with caplog.at_level(logging.DEBUG, logger="bot.canvas.updater"):
            updater.start()
            await asyncio.sleep(0.7)  # polls after 0.05, 0.15, 0.35, 0.75 s: slower each time
    finally:
        await updater.close()
        await services.db.dispose()
    records = [r for r in caplog.records if r.name == "bot.canvas.updater"]
    assert 2 <= len(records) <= 4, [r.getMessage() for r in records]  # backing off, not every 0.05 s
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in records)  # one line each
    assert all(r.getMessage().startswith("canvas poll could not read the database (") for r in records)
    warned = [r for r in records if r.levelno >= logging.WARNING]
    assert len(warned) == 1 and "trying less often" in warned[0].getMessage()  # said once
