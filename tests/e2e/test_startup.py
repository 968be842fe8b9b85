"""Start-up as an operator sees it: `scribe` as a real process against the Slack simulator.

Bad settings and a refused token end in exit 2 with one line; `--version`; the line saying where it
listens (password masked); JSON logs that parse line by line; `migrate` on a newer database; Slack
or the database coming up after the bot, and the catch-up of open incidents once the database does.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.simulator.client import SignedSlackClient
from bot.simulator.server import SlackSimulator
from storage import incidents
from storage.db import Database
from tests.e2e.test_serve_process import base_env, free_port, scribe, sim_env


def scribe_logging_to(path: Path, *args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    """`scribe` with stderr into a file: a chatty DEBUG run would fill a pipe nobody reads yet."""
    with path.open("w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args], env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=log
        )


async def finish(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[str, str]:
    """Wait for the process off the event loop (the simulator in this loop must keep answering)."""
    return await asyncio.to_thread(proc.communicate, None, timeout)


async def stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    if proc.poll() is None:
        proc.terminate()
    return await finish(proc, 30)


async def health(port: int) -> tuple[int, dict[str, object]] | None:
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as res:
                return res.status, await res.json()
    except aiohttp.ClientError:
        return None


async def wait_status(port: int, status: int, timeout: float = 30) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = await health(port)
        if seen is not None and seen[0] == status:
            return seen[1]
        await asyncio.sleep(0.2)
    raise AssertionError(f"/healthz never answered {status} (last: {seen})")


def one_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SCRIBE_CHANGE_WINDOW", "weekdays"),
        ("SCRIBE_QUIET_HOURS", "night"),
        ("SCRIBE_CAPTURE_REACTION", "push pin"),
        ("SLACK_API_URL", "not a url"),
        ("SCRIBE_LOG_LEVEL", "chatty"),
        ("SCRIBE_LOG_FORMAT", "yaml"),
        ("SCRIBE_REMINDER_REPEAT_HOURS", "100000000"),
        ("SCRIBE_CHANNEL_PATTERN", ""),
    ],
)
@pytest.mark.parametrize("command", ["serve", "classify"])
async def test_bad_setting_exits_2_with_one_line(
    tmp_path: Path, command: str, variable: str, value: str
) -> None:
    env = base_env(SLACK_BOT_TOKEN="xoxb-x", SLACK_SIGNING_SECRET="y", **{variable: value})
    proc = scribe(command, env=env, cwd=tmp_path)
    _out, err = await finish(proc)
    assert proc.returncode == 2
    assert variable in one_line(err)


async def test_version_exits_0(tmp_path: Path) -> None:
    from importlib.metadata import version

    proc = scribe("--version", env=base_env(), cwd=tmp_path)
    out, err = await finish(proc)
    assert proc.returncode == 0, err
    assert out.strip() == f"scribe {version('incident-scribe')}"


@pytest.mark.parametrize(
    ("command", "refusal"),
    [
        ("serve", "invalid_auth"),
        ("serve", "token_revoked"),
        ("serve", "account_inactive"),
        ("socket", "not_authed"),
    ],
)
async def test_refused_bot_token_exits_2_naming_it(tmp_path: Path, command: str, refusal: str) -> None:
    async with SlackSimulator() as sim:
        token = sim.bot_token
        if refusal == "invalid_auth":
            token = "xoxb-not-this-workspace"  # the simulator refuses any other token
        else:
            sim.fail_method("auth.test", refusal)
        # Socket Mode answers the app token first: a good one, so only the bot token is refused.
        app_token = sim.enable_socket_mode().app_token if command == "socket" else "xapp-1-socket"
        env = base_env(
            SLACK_BOT_TOKEN=token,
            SLACK_SIGNING_SECRET="y",
            SLACK_APP_TOKEN=app_token,
            SLACK_API_URL=sim.api_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/s.db",
        )
        proc = scribe(command, "--port", str(free_port()), env=env, cwd=tmp_path)
        _out, err = await finish(proc)
    assert proc.returncode == 2
    line = one_line(err)
    assert "SLACK_BOT_TOKEN" in line and refusal in line
    assert token not in err


async def test_listening_line_masks_the_password_and_json_logs_parse(db_url: str, tmp_path: Path) -> None:
    await Database(db_url).dispose()
    async with SlackSimulator() as sim:
        port = free_port()
        env = sim_env(
            sim,
            db_url,
            SCRIBE_LOG_FORMAT="json",
            SCRIBE_LOG_LEVEL="DEBUG",
            SCRIBE_MARK_REACTION="",
        )
        log = tmp_path / "stderr.log"
        proc = scribe_logging_to(log, "serve", "--port", str(port), "--migrate", env=env, cwd=tmp_path)
        try:
            await wait_status(port, 200)
            alice = sim.add_user("alice")
            chan = sim.add_channel("incident-logs", members=[alice])
            sim.bot_url = f"http://127.0.0.1:{port}/slack/events"
            posted = await sim.post_message(chan, alice, "rolling back checkout to v3.1.0 — secret words")
            assert posted.status == 200
        finally:
            await stop(proc)
    err = log.read_text()
    assert proc.returncode == 0, err[-2000:]
    records = [json.loads(line) for line in err.splitlines() if line.strip()]  # every line is JSON
    assert records and all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    listening = [r["message"] for r in records if r["message"].startswith("listening on ")]
    assert len(listening) == 1
    assert f"http://127.0.0.1:{port}" in listening[0]
    url = make_url(db_url)
    if url.password:
        assert f":{url.password}@" not in err and ":***@" in listening[0]
    captured = [r for r in records if r["message"].startswith("captured ")]
    assert captured and captured[0]["level"] == "DEBUG" and captured[0]["channel"] == chan
    assert "secret words" not in err  # message text is not logged
    assert not any(
        r["logger"].startswith(("alembic", "apscheduler")) and r["level"] == "INFO" for r in records
    )


async def test_text_logs_by_default_without_alembic_chatter(tmp_path: Path) -> None:
    env = base_env(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/s.db")
    proc = scribe("migrate", env=env, cwd=tmp_path)
    out, err = await finish(proc)
    assert proc.returncode == 0, err
    assert out.strip() == "schema: empty -> " + str(Database.head_revision())
    assert err.strip() == ""  # Alembic's INFO lines are DEBUG now


@pytest.mark.parametrize(
    "command",
    [["migrate"], ["serve", "--migrate"], ["socket", "--migrate"], ["serve"], ["draft", "--channel", "x"]],
)
async def test_a_newer_database_is_one_line_naming_the_remedy(tmp_path: Path, command: list[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/s.db"
    db = Database(url)
    await db.migrate()
    async with db.engine.begin() as conn:  # as if a later release had migrated it
        await conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    await db.dispose()
    env = base_env(
        DATABASE_URL=url, SLACK_BOT_TOKEN="xoxb-x", SLACK_SIGNING_SECRET="y", SLACK_APP_TOKEN="xapp-1"
    )
    proc = scribe(*command, env=env, cwd=tmp_path)
    _out, err = await finish(proc)
    assert proc.returncode == 2
    line = one_line(err)
    assert "9999_from_the_future" in line and "newer release" in line
    assert "scribe migrate" not in line  # the one remedy that cannot work here


async def test_slack_unreachable_at_start_is_retried_with_healthz_503(tmp_path: Path) -> None:
    api_port, port = free_port(), free_port()
    sim = SlackSimulator()
    env = base_env(
        SLACK_BOT_TOKEN=sim.bot_token,
        SLACK_SIGNING_SECRET="y",
        SLACK_API_URL=f"http://127.0.0.1:{api_port}/api/",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/s.db",
    )
    proc = scribe("serve", "--port", str(port), env=env, cwd=tmp_path)
    try:
        body = await wait_status(port, 503)
        assert body["slack"] == "unreachable"
        await sim.start(port=api_port)  # Slack comes back
        body = await wait_status(port, 200, timeout=30)
        assert body["slack"] == "ok"
    finally:
        _out, err = await stop(proc)
        await sim.stop()
    assert "Traceback" not in err
    tries = [line for line in err.splitlines() if f":{api_port}" in line]
    assert tries and all("Slack not reachable" in line for line in tries)  # one line per retry


async def test_an_api_url_answering_plain_text_is_slack_unreachable_not_a_crash(tmp_path: Path) -> None:
    from aiohttp import web

    async def not_slack(_request: web.Request) -> web.Response:
        return web.Response(text="not json")  # a proxy's page or a wrong host: 200, text/plain

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", not_slack)
    runner = web.AppRunner(app)
    await runner.setup()
    api_port, port = free_port(), free_port()
    await web.TCPSite(runner, "127.0.0.1", api_port).start()
    env = base_env(
        SLACK_BOT_TOKEN="xoxb-x",
        SLACK_SIGNING_SECRET="y",
        SLACK_API_URL=f"http://127.0.0.1:{api_port}/api/",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/s.db",
    )
    proc = scribe("serve", "--port", str(port), env=env, cwd=tmp_path)
    try:
        body = await wait_status(port, 503)
        assert body["slack"] == "unreachable"
        assert proc.poll() is None  # still running, still trying
    finally:
        _out, err = await stop(proc)
        await runner.cleanup()
    assert "Traceback" not in err and "not Slack's" in err


async def test_open_incidents_are_caught_up_once_a_late_database_arrives(tmp_path: Path) -> None:
    ready, later = tmp_path / "ready", tmp_path / "later"
    ready.mkdir()
    async with SlackSimulator() as sim:
        alice = sim.add_user("alice")
        chan = sim.add_channel("incident-late", members=[alice])
        missed = await sim.post_message(chan, alice, "rolled back payments to v7.2.0", deliver=False)
        # The database the bot will find: current schema, an open incident, nothing of the message.
        db = Database(f"sqlite+aiosqlite:///{ready}/s.db")
        await db.migrate()
        async with db.transaction() as session:
            await incidents.open_incident(session, chan, "incident-late", incidents_opened())
        await db.dispose()

        port = free_port()
        env = sim_env(
            sim,
            f"sqlite+aiosqlite:///{later}/s.db",
        )
        proc = scribe("serve", "--port", str(port), env=env, cwd=tmp_path)
        try:
            await wait_status(port, 503)
            await asyncio.sleep(1.0)  # well after start-up
            shutil.move(ready, later)  # the database comes up
            await wait_status(port, 200)
            late = Database(f"sqlite+aiosqlite:///{later}/s.db")
            try:
                deadline = time.monotonic() + 20
                kinds: list[str] = []
                while not kinds and time.monotonic() < deadline:
                    async with late.session() as session:
                        kinds = list(
                            (
                                await session.execute(
                                    sa.text("SELECT kind FROM timeline_entry WHERE ts = :ts"),
                                    {"ts": missed.ts},
                                )
                            ).scalars()
                        )
                    await asyncio.sleep(0.3)
            finally:
                await late.dispose()
        finally:
            _out, err = await stop(proc)
    assert kinds == ["rollback"], err[-3000:]


def incidents_opened():
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) - timedelta(hours=1)


async def test_signed_request_counts_in_metrics_of_a_real_process(tmp_path: Path) -> None:
    async with SlackSimulator() as sim:
        port = free_port()
        env = sim_env(
            sim,
            f"sqlite+aiosqlite:///{tmp_path}/s.db",
        )
        proc = scribe("serve", "--port", str(port), env=env, cwd=tmp_path)
        try:
            await wait_status(port, 200)
            async with SignedSlackClient(
                f"http://127.0.0.1:{port}/slack/events", "wrong-secret", team_id=sim.team_id
            ) as client:
                refused = await client.send_event(
                    {"type": "message", "channel": "C1", "text": "x", "ts": "1.0"}
                )
            assert refused.status == 401
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{port}/metrics") as res:
                    text = await res.text()
            assert 'scribe_slack_requests_total{outcome="unauthorized"} 1.0' in text
        finally:
            await stop(proc)


@pytest.mark.parametrize("port", ["70000", "-1", "abc"])
async def test_a_port_out_of_range_is_a_usage_error_not_a_traceback(tmp_path: Path, port: str) -> None:
    proc = scribe(
        "serve",
        "--port",
        port,
        env=base_env(SLACK_BOT_TOKEN="xoxb-x", SLACK_SIGNING_SECRET="y"),
        cwd=tmp_path,
    )
    _out, err = await finish(proc)
    assert proc.returncode == 2
    assert "Traceback" not in err and f"'{port}' is not a port number" in err


@pytest.mark.parametrize("command", ["serve", "socket"])
async def test_sigterm_while_the_database_is_still_tried_is_exit_0(tmp_path: Path, command: str) -> None:
    """A supervisor stopping the bot mid start-up (here: a database that accepts the connection
    and never answers) sees a clean exit, not a death by signal."""
    tried = asyncio.Event()

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tried.set()
        await asyncio.sleep(60)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    db_port = server.sockets[0].getsockname()[1]
    env = base_env(
        SLACK_BOT_TOKEN="xoxb-x",
        SLACK_SIGNING_SECRET="y",
        SLACK_APP_TOKEN="xapp-x",
        DATABASE_URL=f"postgresql+asyncpg://u:p@127.0.0.1:{db_port}/scribe",
    )
    proc = scribe(command, "--port", str(free_port()), env=env, cwd=tmp_path)
    try:
        await asyncio.wait_for(tried.wait(), 30)  # start-up has reached the database
        proc.terminate()
        _out, err = await finish(proc, 30)
    finally:
        if proc.poll() is None:
            proc.kill()
        server.close()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "stopping before start-up finished" in err
