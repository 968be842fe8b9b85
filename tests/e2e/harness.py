"""The real thing, in-process: the bot talking over HTTP to the project's Slack simulator, which
delivers either signed requests to the bot's `/slack/events` (mode "http", `scribe serve`) or
envelopes over a Socket Mode WebSocket (mode "socket", `scribe socket`).

The mode defaults to `DEFAULT_MODE`, which tests/e2e/conftest.py sets per test to run the capture,
draft and follow-up suites in both modes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.app import SERVICES_KEY, create_app, create_web_app
from bot.config import Settings, load_settings
from bot.services import Services
from bot.simulator.server import SlackSimulator
from bot.slack.socket_mode import SocketModeRunner
from storage.db import Database

MODES = ("http", "socket")
DEFAULT_MODE = "http"


class Clock:
    """A clock tests can move; defaults to real time."""

    def __init__(self, start: datetime | None = None) -> None:
        self.fixed = start

    def __call__(self) -> datetime:
        return self.fixed or datetime.now(UTC)


def make_settings(sim: SlackSimulator, database_url: str, **extra: Any) -> Settings:
    return load_settings(
        _env_file=None,
        slack_bot_token=sim.bot_token,
        slack_signing_secret=sim.signing_secret,
        slack_api_url=sim.api_url,
        database_url=database_url,
        **extra,
    )


class BotInstance:
    """One replica of the bot (several may share a database and a simulator)."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime], **web_kwargs: Any) -> None:
        self.settings, self.clock, self.web_kwargs = settings, clock, web_kwargs
        self.runner: web.AppRunner | None = None
        self.url = ""
        self.services: Services

    async def start(self) -> BotInstance:
        app = create_web_app(self.settings, clock=self.clock, **self.web_kwargs)
        self.services = app[SERVICES_KEY]
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def idle(self) -> None:
        await self.services.tasks.idle()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


class SocketBotInstance(BotInstance):
    """One replica in Socket Mode: no HTTP server, a WebSocket to the simulator."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime], **web_kwargs: Any) -> None:
        super().__init__(settings, clock, **web_kwargs)
        self.runner_: SocketModeRunner | None = None

    async def start(self) -> BotInstance:
        db = self.web_kwargs.get("db")
        app, self.services = create_app(self.settings, db=db, clock=self.clock)
        self.runner_ = SocketModeRunner(
            app,
            self.services,
            self.settings.secret(self.settings.slack_app_token) or "",
            reminders=self.web_kwargs.get("reminders", True),
            startup_backfill=self.web_kwargs.get("startup_backfill", True),
            dispose_database=db is None,
        )
        await self.runner_.start()
        return self

    async def stop(self) -> None:
        if self.runner_ is not None:
            await self.runner_.close()
            self.runner_ = None


class Harness:
    def __init__(
        self,
        database_url: str,
        *,
        clock: Clock | None = None,
        sim_kwargs: dict[str, Any] | None = None,
        mode: str | None = None,
        **settings: Any,
    ) -> None:
        self.database_url = database_url
        self.clock = clock or Clock()
        self.mode = mode or DEFAULT_MODE
        self.sim = SlackSimulator(**(sim_kwargs or {}))
        if self.mode == "socket":
            settings.setdefault("slack_app_token", self.sim.enable_socket_mode().app_token)
        self.extra_settings = settings
        self.bots: list[BotInstance] = []

    @property
    def bot(self) -> BotInstance:
        return self.bots[0]

    @property
    def services(self) -> Services:
        return self.bot.services

    @property
    def db(self) -> Database:
        return self.bot.services.db

    async def start(self, replicas: int = 1, **web_kwargs: Any) -> Harness:
        await self.sim.start()
        db = Database(self.database_url)
        await db.migrate()
        await db.dispose()
        web_kwargs.setdefault("reminders", False)
        web_kwargs.setdefault("startup_backfill", False)
        for _ in range(replicas):
            await self.add_replica(**web_kwargs)
        if self.mode == "http":
            self.sim.bot_url = f"{self.bot.url}/slack/events"
        return self

    async def add_replica(self, **web_kwargs: Any) -> BotInstance:
        web_kwargs.setdefault("reminders", False)
        web_kwargs.setdefault("startup_backfill", False)
        settings = make_settings(self.sim, self.database_url, **self.extra_settings)
        kind = SocketBotInstance if self.mode == "socket" else BotInstance
        bot = await kind(settings, self.clock, **web_kwargs).start()
        self.bots.append(bot)
        return bot

    async def idle(self) -> None:
        for bot in self.bots:
            await bot.idle()

    async def stop(self) -> None:
        for bot in self.bots:
            await bot.stop()
        await self.sim.stop()

    async def __aenter__(self) -> Harness:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def sqlite_url(tmp: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp / 'scribe.db'}"
