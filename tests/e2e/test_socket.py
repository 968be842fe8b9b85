"""`scribe socket` end to end against the simulator's Socket Mode server: capture → draft, acks,
redelivery without duplicates, refresh and dropped connections without loss, and the process
itself (SIGTERM → exit 0, a refused app token → exit 2, Slack unreachable → one line per retry)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import sqlalchemy as sa

from bot.simulator.server import SlackSimulator
from bot.simulator.socket_mode import SocketModeServer
from storage.db import Database
from tests.e2e.harness import Harness
from tests.e2e.test_startup import wait_status

REPO = Path(__file__).resolve().parents[2]


async def entries(h: Harness) -> list[tuple[str, str]]:
    async with h.db.session() as session:
        rows = await session.execute(sa.text("SELECT ts, kind FROM timeline_entry ORDER BY ts"))
        return [(r.ts, r.kind) for r in rows]


async def test_capture_then_draft_over_socket_mode(db_url: str) -> None:
    async with Harness(db_url, mode="socket") as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-s1", members=[alice])
        fired = await h.sim.post_message(chan, alice, "[FIRING:1] HighLatency (search)")
        rolled = await h.sim.post_message(chan, alice, "rolling back search to v1.4.2")
        assert (fired.status, rolled.status) == (200, 200)
        assert await entries(h) == [(fired.ts, "alert_firing"), (rolled.ts, "rollback")]
        started = time.perf_counter()
        result = await h.sim.slash_command(chan, alice, "draft")
        assert result.status == 200 and time.perf_counter() - started < 3.0
        assert "Drafting" in str(h.sim.responses(result.response_url_token)[0]["text"])
        await h.idle()
        await h.sim.settle()
        assert len(h.sim.calls_to("chat.postMessage")) == 1
        [posted] = h.sim.files_in(chan)
        assert b"rolling back search" in (h.sim.file_content(posted.id) or b"")
        kinds = {e["type"] for e in h.sim.socket.envelopes}  # type: ignore[union-attr]
        assert {"events_api", "slash_commands"} <= kinds


async def test_unacknowledged_envelope_is_redelivered_and_stored_once(db_url: str) -> None:
    async with Harness(db_url, mode="socket") as h:
        server = h.sim.socket
        assert server is not None
        server.ack_timeout = 0.5
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-s2", members=[alice])
        server.drop_acks = 1  # the bot's first ack is lost on the way
        posted = await h.sim.post_message(chan, alice, "deploying api v2.0.1 to prod")
        assert posted.status == 200
        attempts = [e for e in server.envelopes if e["type"] == "events_api"]
        assert [(e["retry_attempt"], e["retry_reason"]) for e in attempts] == [(0, ""), (1, "timeout")]
        assert attempts[0]["envelope_id"] == attempts[1]["envelope_id"]
        assert posted.event_id is not None
        assert await h.sim.redeliver(posted.event_id, retry_num=2, retry_reason="timeout") == 200
        assert await entries(h) == [(posted.ts, "deploy")]


async def test_refresh_disconnect_and_dropped_connection_lose_no_event(db_url: str) -> None:
    async with Harness(db_url, mode="socket") as h:
        server = h.sim.socket
        assert server is not None
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-s3", members=[alice])
        await server.refresh()  # Slack's periodic `disconnect` (refresh_requested)
        during = await asyncio.gather(*(h.sim.post_message(chan, alice, f"step {i} done") for i in range(5)))
        assert server.connections_opened == 2
        await server.drop()  # and a connection that just goes away
        after = [await h.sim.post_message(chan, alice, f"later {i}") for i in range(3)]
        assert server.connections_opened == 3
        assert all(p.status == 200 for p in [*during, *after])
        assert {ts for ts, _ in await entries(h)} == {p.ts for p in [*during, *after]}


# --- the real process --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SCRIBE_", "DATABASE_URL"))}
    env.update(
        PYTHONPATH=str(REPO),
        SLACK_BOT_TOKEN="xoxb-sim-token",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/s.db",
        SCRIBE_MARK_REACTION="",
        **extra,
    )
    return env


async def scribe_socket(
    env: dict[str, str], cwd: Path, port: int | None = None
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "socket", "--migrate", "--port", str(port or free_port()),
        env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


@contextlib.asynccontextmanager
async def socket_bot(
    tmp_path: Path, prepare: Callable[[SocketModeServer], None] = lambda _server: None
) -> AsyncIterator[tuple[SlackSimulator, SocketModeServer, asyncio.subprocess.Process, int]]:
    """`scribe socket` (/healthz on the port yielded) against a simulator speaking Socket Mode,
    `prepare`d before the process starts; afterwards the process is killed if it still runs."""
    sim = SlackSimulator()
    server = sim.enable_socket_mode()
    prepare(server)
    await sim.start()
    port = free_port()
    proc = await scribe_socket(
        env_for(tmp_path, SLACK_API_URL=sim.api_url, SLACK_APP_TOKEN=server.app_token), tmp_path, port
    )
    try:
        yield sim, server, proc, port
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await sim.stop()


async def wait_for_line(proc: asyncio.subprocess.Process, needle: str, timeout: float = 30.0) -> list[str]:
    assert proc.stderr is not None
    lines: list[str] = []
    async with asyncio.timeout(timeout):
        while True:
            line = (await proc.stderr.readline()).decode()
            if not line:
                raise AssertionError(f"process ended before {needle!r}: {''.join(lines)}")
            lines.append(line)
            if needle in line:
                return lines


async def test_sigterm_shuts_down_cleanly_with_exit_0(tmp_path: Path) -> None:
    async with socket_bot(tmp_path) as (sim, _server, proc, _port):
        await wait_for_line(proc, "connected to Slack in Socket Mode")
        alice = sim.add_user("alice")
        chan = sim.add_channel("incident-term", members=[alice])
        assert (await sim.post_message(chan, alice, "ack, IC here")).status == 200
        stopped = await sigterm(proc)
        assert stopped < 3.0


async def sigterm(proc: asyncio.subprocess.Process) -> float:
    """SIGTERM; the seconds the process took to exit cleanly (0, no traceback)."""
    return (await sigterm_logs(proc))[0]


async def sigterm_logs(proc: asyncio.subprocess.Process) -> tuple[float, str]:
    started = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    _out, err = await asyncio.wait_for(proc.communicate(), 30)
    took = time.perf_counter() - started
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
    return took, err.decode()


async def test_sigterm_with_envelopes_in_flight_acks_them_first_and_loses_none(tmp_path: Path) -> None:
    sim = SlackSimulator()
    server = sim.enable_socket_mode(ack_timeout=1.0)
    await sim.start()
    env = env_for(tmp_path, SLACK_API_URL=sim.api_url, SLACK_APP_TOKEN=server.app_token)
    proc = await scribe_socket(env, tmp_path)
    successor = None
    try:
        await wait_for_line(proc, "connected to Slack in Socket Mode")
        alice = sim.add_user("alice")
        chan = sim.add_channel("incident-drain", members=[alice])
        posts = [
            asyncio.ensure_future(sim.post_message(chan, alice, f"deploying api v2.0.{i} to prod"))
            for i in range(20)
        ]
        await asyncio.sleep(0.03)  # some envelopes being handled, some not sent yet
        stopped, err = await sigterm_logs(proc)
        assert stopped < 3.0
        # Being handled: finished and acknowledged before the connection closed (no failed acks).
        assert not [line for line in err.splitlines() if " ERROR " in line or "WARNING" in line], err
        successor = await scribe_socket(env, tmp_path)  # the rest is sent to the next process
        await wait_for_line(successor, "connected to Slack in Socket Mode")
        assert all(p.status == 200 for p in await asyncio.wait_for(asyncio.gather(*posts), 30))
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/s.db")
        try:
            async with db.session() as session:
                stored = (await session.execute(sa.text("SELECT ts FROM timeline_entry"))).scalars().all()
        finally:
            await db.dispose()
        assert sorted(stored) == sorted(p.result().ts for p in posts)
        await sigterm(successor)
    finally:
        for p in (proc, successor):
            if p is not None and p.returncode is None:
                p.kill()
                await p.wait()
        await sim.stop()


async def test_sigterm_is_prompt_when_slack_never_answers_the_close(tmp_path: Path) -> None:
    async with socket_bot(tmp_path) as (_sim, server, proc, _port):
        await wait_for_line(proc, "connected to Slack in Socket Mode")
        server.stall()  # the bot's close frame will go unanswered (aiohttp would wait 10 s)
        stopped = await sigterm(proc)
        assert stopped < 3.0


async def test_refused_app_token_exits_2_with_one_line_naming_it(tmp_path: Path) -> None:
    sim = SlackSimulator()
    server = sim.enable_socket_mode()
    server.refused["xapp-1-of-another-kind"] = "not_allowed_token_type"
    await sim.start()
    try:
        for token, error in (
            ("xapp-1-wrong", "invalid_auth"),
            ("xapp-1-of-another-kind", "not_allowed_token_type"),
        ):
            proc = await scribe_socket(
                env_for(tmp_path, SLACK_API_URL=sim.api_url, SLACK_APP_TOKEN=token), tmp_path
            )
            _out, err = await asyncio.wait_for(proc.communicate(), 60)
            assert proc.returncode == 2, err.decode()
            last = err.decode().strip().splitlines()
            assert "SLACK_APP_TOKEN" in last[-1] and error in last[-1]
            assert b"Traceback" not in err
            assert not [ln for ln in last if "SLACK_APP_TOKEN" in ln][1:]  # said once
    finally:
        await sim.stop()


async def test_unreachable_slack_logs_one_line_per_retry_and_stops_on_sigterm(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens there
    proc = await scribe_socket(env_for(tmp_path, SLACK_API_URL=url, SLACK_APP_TOKEN="xapp-1-x"), tmp_path)
    try:
        first = await wait_for_line(proc, "listening on")
        assert "retrying in" in first[-2]  # the address is said after the first try, as serve does
        await wait_for_line(proc, "retrying in")  # the database gate's one line may come first
        [line] = await wait_for_line(proc, "retrying in")  # nothing else between two tries
        assert "SLACK_API_URL" in line or "not reachable" in line
        proc.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0
        assert b"Traceback" not in err
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_healthz_and_metrics_of_a_real_socket_process(tmp_path: Path) -> None:
    async with socket_bot(tmp_path) as (sim, _server, proc, port):
        lines = await wait_for_line(proc, "connected to Slack in Socket Mode")
        [listening] = [line for line in lines if "listening on" in line]
        assert f"http://127.0.0.1:{port}" in listening and f"{tmp_path}/s.db" in listening
        assert await wait_status(port, 200) == {"ok": True, "database": "ready", "slack": "ok"}
        alice = sim.add_user("alice")
        chan = sim.add_channel("incident-metrics", members=[alice])
        assert (await sim.post_message(chan, alice, "rolling back search to v1.4.2")).status == 200
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/metrics") as res:
                assert res.status == 200
                text = await res.text()
            async with session.post(f"http://127.0.0.1:{port}/slack/events", data=b"{}") as res:
                assert res.status == 404  # Socket Mode: Slack never POSTs
        assert 'scribe_captured_entries_total{kind="rollback"} 1.0' in text
        assert 'scribe_slack_requests_total{outcome="ok"} 1.0' in text
        assert "scribe_slack_ack_seconds_count 1.0" in text
        await sim.stop()  # Slack goes away: the connection with it
        assert (await wait_status(port, 503))["slack"] == "disconnected"
        await sigterm(proc)


async def test_healthz_503_while_slack_is_unreachable_then_200(tmp_path: Path) -> None:
    api_port, port = free_port(), free_port()
    sim = SlackSimulator()
    server = sim.enable_socket_mode()
    env = env_for(
        tmp_path, SLACK_API_URL=f"http://127.0.0.1:{api_port}/api/", SLACK_APP_TOKEN=server.app_token
    )
    proc = await scribe_socket(env, tmp_path, port)
    try:
        body = await wait_status(port, 503)
        assert body == {"ok": False, "database": "ready", "slack": "unreachable"}
        await sim.start(port=api_port)  # Slack comes back
        assert (await wait_status(port, 200))["slack"] == "ok"
        await sigterm(proc)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await sim.stop()


async def test_port_in_use_exits_2_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        url = f"http://127.0.0.1:{free_port()}/api/"
        proc = await scribe_socket(
            env_for(tmp_path, SLACK_API_URL=url, SLACK_APP_TOKEN="xapp-1-x"), tmp_path, port
        )
        _out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    [line] = err.decode().strip().splitlines()
    assert f"cannot listen on 127.0.0.1:{port}" in line


async def test_sigterm_while_the_websocket_cannot_open_exits_promptly(tmp_path: Path) -> None:
    def links_down(server: SocketModeServer) -> None:
        server.links_down = True  # the Web API answers, the WebSocket never opens

    async with socket_bot(tmp_path, links_down) as (_sim, _server, proc, port):
        await wait_for_line(proc, "Socket Mode connection did not open")
        await wait_for_line(proc, "retrying in")  # the database gate's line may come first
        [failed] = await wait_for_line(proc, "retrying in")  # one line per try, nothing between
        assert "WSServerHandshakeError: 502" in failed and "/link/" not in failed  # no one-time URL
        assert (await wait_status(port, 503))["slack"] == "disconnected"  # token fine, no connection
        stopped = await sigterm(proc)
        assert stopped < 3.0


async def test_healthz_503_while_the_database_is_unreachable(tmp_path: Path) -> None:
    sim = SlackSimulator()
    server = sim.enable_socket_mode()
    await sim.start()
    port = free_port()
    env = env_for(tmp_path, SLACK_API_URL=sim.api_url, SLACK_APP_TOKEN=server.app_token)
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/not-yet/s.db"  # its directory is missing
    proc = await scribe_socket(env, tmp_path, port)
    try:
        await wait_for_line(proc, "connected to Slack in Socket Mode")
        assert await wait_status(port, 503) == {"ok": False, "database": "unreachable", "slack": "ok"}
        (tmp_path / "not-yet").mkdir()  # the database comes up
        assert (await wait_status(port, 200))["database"] == "ready"
        await sigterm(proc)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await sim.stop()
