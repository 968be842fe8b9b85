"""`scribe serve | socket | demo | classify | migrate | draft | reclassify`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError

from bot.config import Settings, SettingsError, load_settings, masked_url
from bot.observability.logs import configure_logging

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger("scribe")


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def package_version() -> str:
    try:
        return version("incident-scribe")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def port_number(value: str) -> int:
    """A TCP port for --port: argparse's own one-line error (exit 2) instead of bind()'s traceback."""
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (0-65535)")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scribe", description="Incident Scribe: post-mortems from Slack")
    parser.add_argument("--version", action="version", version=f"scribe {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run in Slack HTTP mode (POST /slack/events, GET /healthz)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=port_number, default=3000)
    serve.add_argument("--migrate", action="store_true", help="bring the schema up to date before serving")
    socket = sub.add_parser(
        "socket", help="run in Slack Socket Mode (needs SLACK_APP_TOKEN; GET /healthz and /metrics)"
    )
    socket.add_argument("--host", default="127.0.0.1", help="where /healthz and /metrics listen")
    socket.add_argument("--port", type=port_number, default=3000)
    socket.add_argument("--migrate", action="store_true", help="bring the schema up to date first")
    demo = sub.add_parser("demo", help="replay a sample incident against the bundled Slack simulator")
    demo.add_argument("--keep", metavar="DIR", help="keep the demo database and draft in DIR")
    sub.add_parser("classify", help="classify JSON lines from stdin")
    sub.add_parser("migrate", help="bring the database schema to the current version")
    draft = sub.add_parser("draft", help="render the post-mortem Markdown from the database")
    draft.add_argument("--channel", required=True, help="channel id or name")
    draft.add_argument("--template", default="postmortem")
    draft.add_argument("--out", type=Path)
    sub.add_parser("reclassify", help="recompute kinds of stored entries after a rule change")
    return parser


@contextlib.contextmanager
def database_errors(settings: Settings) -> Iterator[None]:
    """A database that is down, missing or refuses us is a setting problem: one line, exit 2."""
    try:
        yield
    except (DBAPIError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "orig", None) or exc
        detail = str(reason).strip().splitlines()[0] if str(reason).strip() else type(reason).__name__
        raise CliError(
            f"DATABASE_URL is not reachable ({masked_url(settings.database_url)}): {detail}"
        ) from None


async def _ready_database(settings: Settings, migrate: bool) -> None:
    """Before serving: upgrade when asked, build the schema of an empty database, refuse an
    existing schema that is behind. A database that is down is waited for (healthz 503)."""
    from storage.db import Database, schema_message

    db = Database(settings.database_url)
    try:
        if not await db.ping():
            logging.getLogger("scribe").warning(
                "database %s not reachable yet; serving /healthz 503 until it is",
                masked_url(settings.database_url),
            )
            return
        if migrate:
            await db.migrate()  # SchemaOutOfDate on a newer schema: one line, exit 2
        elif await db.prepare() == "outdated":
            raise CliError(schema_message(await db.current_revision(), db.head_revision()))
    finally:
        await db.dispose()


def _exit_on_sigterm() -> None:
    """SIGTERM before the event loop's own handler is installed (`_stop_on_signals`: while the
    database is tried, Slack checked, the port bound) ends start-up with exit 0, its `finally`
    blocks run, instead of the default death by signal (exit -15) a supervisor reads as a crash."""

    def terminate(signum: int, frame: object) -> None:
        log.info("stopping before start-up finished")
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, terminate)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    settings.require("slack_bot_token", "slack_signing_secret")
    _exit_on_sigterm()
    with database_errors(settings):
        asyncio.run(_ready_database(settings, args.migrate))
    asyncio.run(_serve(settings, args.host, args.port))
    return 0


async def _serve(settings: Settings, host: str, port: int) -> None:
    """aiohttp's run_app, spelled out so the line saying where we listen has the bound port."""
    from aiohttp import web

    from bot.access_log import ProblemAccessLogger
    from bot.app import create_web_app

    runner = web.AppRunner(
        create_web_app(settings, prepare_database=True), access_log_class=ProblemAccessLogger
    )
    try:
        await runner.setup()  # on_startup: a refused token raises SettingsError here
        bound = await _listen(runner, host, port)
        log.info("listening on %s, database %s", bound, masked_url(settings.database_url))
        await _until_signalled()
    finally:
        await runner.cleanup()


async def _listen(runner: web.AppRunner, host: str, port: int) -> str:
    """Bind `runner` to host:port (in use → exit 2, one line); the bound address(es)."""
    from aiohttp import web

    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return ", ".join(f"http://{a[0]}:{a[1]}" for a in runner.addresses)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _until_signalled() -> None:
    await _stop_on_signals().wait()
    log.info("stopping")


async def _socket(settings: Settings, host: str, port: int) -> None:
    """Socket Mode, with an HTTP listener for /healthz and /metrics only. It listens before Slack
    is tried, so /healthz answers 503 while Slack (or the database) cannot be reached."""
    from aiohttp import web

    from bot.access_log import ProblemAccessLogger
    from bot.app import DatabaseGate, SlackGate, create_app, create_health_app, start_catch_up
    from bot.slack.socket_mode import AppTokenRefused, SocketModeRunner

    app, services = create_app(settings)
    token = settings.secret(settings.slack_app_token) or ""
    runner = SocketModeRunner(app, services, token, startup_backfill=False)
    slack_gate = SlackGate(services.gateway)
    # As in serve: the catch-up of open incidents runs once the database is there.
    gate = DatabaseGate(services.db, prepare=True, on_ready=lambda: start_catch_up(services))

    async def slack_state() -> str:
        if slack_gate.state() != "ok":
            return slack_gate.state()
        return "ok" if await runner.connected() else "disconnected"

    http = web.AppRunner(create_health_app(services, gate, slack_state), access_log_class=ProblemAccessLogger)
    stop = _stop_on_signals()
    try:
        await http.setup()
        bound = await _listen(http, host, port)
        gate.start()

        def listening() -> None:  # said once Slack answered or was found unreachable, as serve does
            log.info(
                "listening on %s (/healthz, /metrics; Slack over Socket Mode), database %s",
                bound,
                masked_url(settings.database_url),
            )

        # The bot token is checked once Slack answers the app token: a refused one is exit 2.
        if await runner.start(stop, once_reachable=slack_gate.start, once_tried=listening):
            await runner.serve_until(stop)
        log.info("shutting down")
    except AppTokenRefused as exc:
        raise CliError(str(exc)) from None
    finally:
        await http.cleanup()
        await slack_gate.stop()
        await gate.stop()
        await runner.close()


def cmd_socket(args: argparse.Namespace, settings: Settings) -> int:
    from pydantic import SecretStr

    settings.require("slack_bot_token", "slack_app_token")
    _exit_on_sigterm()
    if not settings.slack_signing_secret:
        # Socket Mode never verifies signatures, but Bolt refuses an empty secret.
        settings.slack_signing_secret = SecretStr("socket-mode-unused")
    with database_errors(settings):
        asyncio.run(_ready_database(settings, args.migrate))
    asyncio.run(_socket(settings, args.host, args.port))
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.demo import run_demo

    # The demo prints its own story; request logs would bury it (unless DEBUG was asked for).
    logging.getLogger().setLevel(max(settings.log_level, logging.WARNING))

    return asyncio.run(run_demo(keep=Path(args.keep) if args.keep else None))


def cmd_classify(_args: argparse.Namespace, settings: Settings) -> int:
    from bot.capture.classify import Classifier
    from bot.capture.jsonl import run_classify
    from bot.capture.rules import load_rules

    rules = load_rules(settings.scribe_rules_file) if settings.scribe_rules_file else []
    run_classify(sys.stdin, sys.stdout, Classifier(rules))
    return 0


def cmd_migrate(_args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import Database

    async def run() -> tuple[str | None, str | None]:
        db = Database(settings.database_url)
        try:
            return await db.migrate()
        finally:
            await db.dispose()

    with database_errors(settings):
        before, after = asyncio.run(run())
    print(f"schema: {before or 'empty'} -> {after}" if before != after else f"schema already at {after}")
    return 0


def cmd_draft(args: argparse.Namespace, settings: Settings) -> int:
    from bot.postmortem.publish import NoIncident, render_for_channel
    from bot.postmortem.render import TemplateProblem, TemplateRenderer
    from storage.db import Database

    async def run() -> str:
        db = Database(settings.database_url)
        try:
            await db.ensure_current()
            return (
                await render_for_channel(
                    db, TemplateRenderer(settings.scribe_templates_dir), settings, args.channel, args.template
                )
            ).markdown
        finally:
            await db.dispose()

    try:
        with database_errors(settings):
            markdown = asyncio.run(run())
    except (NoIncident, TemplateProblem) as exc:
        raise CliError(str(exc)) from None
    if args.out:
        try:
            args.out.write_text(markdown, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from None
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(markdown)
    return 0


def cmd_reclassify(_args: argparse.Namespace, settings: Settings) -> int:
    from bot.capture.reclassify import reclassify_all

    with database_errors(settings):
        changed, total = asyncio.run(reclassify_all(settings))
    print(f"reclassified {changed} of {total} entries")
    return 0


COMMANDS = {
    "serve": cmd_serve,
    "socket": cmd_socket,
    "demo": cmd_demo,
    "classify": cmd_classify,
    "migrate": cmd_migrate,
    "draft": cmd_draft,
    "reclassify": cmd_reclassify,
}


def main(argv: list[str] | None = None) -> int:
    from bot.capture.rules import RulesError
    from storage.db import SchemaOutOfDate

    args = _parser().parse_args(argv)
    try:
        # Every command validates every setting first (CONTRACT: a bad one is exit 2, one line).
        settings = load_settings()
        configure_logging(settings.scribe_log_format, settings.log_level)
        return COMMANDS[args.command](args, settings)
    except (SettingsError, CliError, RulesError, SchemaOutOfDate) as exc:
        print(f"scribe: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
