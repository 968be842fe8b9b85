"""`scribe serve` as a real process: start-up checks, /healthz, and durability under `kill -9`."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import sqlalchemy as sa

from bot.simulator.client import SignedSlackClient
from bot.simulator.server import SlackSimulator
from storage.db import Database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scribe(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SCRIBE_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    env.update(extra)
    return env


def sim_env(sim: SlackSimulator, database_url: str, **extra: str) -> dict[str, str]:
    """`base_env` for a `scribe serve` that talks to this simulator."""
    return base_env(
        SLACK_BOT_TOKEN=sim.bot_token,
        SLACK_SIGNING_SECRET=sim.signing_secret,
        SLACK_API_URL=sim.api_url,
        DATABASE_URL=database_url,
        **extra,
    )


async def wait_healthy(url: str, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as res:
                    return res.status
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise TimeoutError(url)


def test_serve_without_signing_secret_exits_2_naming_it(tmp_path: Path) -> None:
    env = base_env(SLACK_BOT_TOKEN="xoxb-test", DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/s.db")
    proc = scribe("serve", "--port", str(free_port()), env=env, cwd=tmp_path)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "SLACK_SIGNING_SECRET" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_invalid_setting_exits_2_naming_it(tmp_path: Path) -> None:
    env = base_env(SLACK_BOT_TOKEN="xoxb-x", SLACK_SIGNING_SECRET="y", SCRIBE_TIMEZONE="Mars/Olympus")
    proc = scribe("serve", env=env, cwd=tmp_path)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "SCRIBE_TIMEZONE" in err and "Traceback" not in err


async def test_serve_refuses_out_of_date_schema(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/s.db"
    db = Database(url)
    await db.migrate()
    async with db.engine.begin() as conn:  # as if written by an older release
        await conn.execute(sa.text("UPDATE alembic_version SET version_num = '0004'"))
    await db.dispose()
    env = base_env(SLACK_BOT_TOKEN="xoxb-x", SLACK_SIGNING_SECRET="y", DATABASE_URL=url)
    proc = scribe("serve", "--port", str(free_port()), env=env, cwd=tmp_path)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "scribe migrate" in err.strip().splitlines()[-1]


async def test_serve_waits_for_the_database_and_builds_an_empty_schema(tmp_path: Path) -> None:
    # SQLite in a directory that does not exist yet: unreachable until it is created.
    later = tmp_path / "not-yet"
    port = free_port()
    sim = SlackSimulator()  # start-up checks the token with auth.test
    await sim.start()
    env = base_env(
        SLACK_BOT_TOKEN=sim.bot_token,
        SLACK_SIGNING_SECRET="y",
        SLACK_API_URL=sim.api_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{later}/s.db",
    )
    proc = scribe("serve", "--port", str(port), env=env, cwd=tmp_path)
    try:
        assert await wait_healthy(f"http://127.0.0.1:{port}/healthz") == 503
        later.mkdir()
        deadline = time.monotonic() + 20
        status = 503
        while status != 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.3)
            status = await wait_healthy(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
        db = Database(f"sqlite+aiosqlite:///{later}/s.db")
        assert await db.current_revision() == Database.head_revision()
        await db.dispose()
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
        await sim.stop()


async def test_healthz_is_503_while_database_unreachable() -> None:
    from aiohttp import web

    from bot.app import create_web_app
    from bot.config import load_settings

    settings = load_settings(
        _env_file=None,
        slack_bot_token="xoxb-x",
        slack_signing_secret="s",
        database_url=f"postgresql+asyncpg://nobody:nothing@127.0.0.1:{free_port()}/none",
    )
    runner = web.AppRunner(create_web_app(settings, reminders=False, startup_backfill=False))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        assert await wait_healthy(f"http://127.0.0.1:{port}/healthz") == 503
    finally:
        await runner.cleanup()


async def test_event_is_committed_before_the_200_even_under_kill_9(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url)
    await db.migrate()
    sim = SlackSimulator()
    await sim.start()
    port = free_port()
    env = sim_env(sim, db_url, SCRIBE_MARK_REACTION="")
    proc = scribe("serve", "--port", str(port), env=env, cwd=tmp_path)
    try:
        assert await wait_healthy(f"http://127.0.0.1:{port}/healthz") == 200
        alice = sim.add_user("alice")
        chan = sim.add_channel("incident-kill", members=[alice])
        ts = f"{time.time():.6f}"
        event = {
            "type": "message",
            "channel": chan,
            "user": alice,
            "text": "rolling back to v1.2.3",
            "ts": ts,
            "channel_type": "channel",
            "event_ts": ts,
        }
        async with SignedSlackClient(
            f"http://127.0.0.1:{port}/slack/events",
            sim.signing_secret,
            team_id=sim.team_id,
            bot_user_id=sim.bot_user_id,
        ) as client:
            response = await client.send_event(event)
        proc.send_signal(signal.SIGKILL)  # no graceful shutdown, no pending flush
        proc.wait(timeout=10)
        assert response.status == 200
        async with db.session() as session:
            kinds = (
                (await session.execute(sa.text("SELECT kind FROM timeline_entry WHERE ts = :ts"), {"ts": ts}))
                .scalars()
                .all()
            )
        assert kinds == ["rollback"]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)
        await sim.stop()
        await db.dispose()
