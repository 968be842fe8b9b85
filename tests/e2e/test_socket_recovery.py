"""`scribe socket` when Slack misbehaves: a reconnect that fails is tried again until a connection
opens (with /healthz 503 meanwhile), an app token refused while running ends the process with exit
2, and envelopes not shaped as Slack's are acknowledged and counted, never dispatched."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import aiohttp
import pytest

from bot.simulator.socket_mode import SocketModeServer
from tests.e2e.harness import Harness
from tests.e2e.test_socket import entries, sigterm_logs, socket_bot, wait_for_line
from tests.e2e.test_startup import wait_status


async def metric_lines(port: int, prefix: str) -> list[str]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/metrics") as res:
            return [line for line in (await res.text()).splitlines() if line.startswith(prefix)]


async def lose_connection(server: SocketModeServer, how: str) -> None:
    if how == "refresh":
        await server.refresh()  # Slack's `disconnect` (refresh_requested): the bot must move
    else:
        await server.drop()  # the connection just goes away


@pytest.mark.parametrize("how", ["refresh", "drop"])
async def test_a_reconnect_slack_refuses_for_a_while_is_retried_until_connected(
    tmp_path: Path, how: str
) -> None:
    async with socket_bot(tmp_path) as (sim, server, proc, port):
        await wait_for_line(proc, "connected to Slack in Socket Mode")
        assert (await wait_status(port, 200))["slack"] == "ok"
        alice = sim.add_user("alice")
        chan = sim.add_channel("incident-deaf", members=[alice])
        server.refused[server.app_token] = "internal_error"  # apps.connections.open fails for a while
        await lose_connection(server, how)
        await wait_for_line(proc, "Socket Mode connection did not open (internal_error)")
        assert (await wait_status(port, 503))["slack"] == "disconnected"  # not "ok" in the gap
        lines = await wait_for_line(proc, "retrying in")
        [again] = [line for line in lines if "aiohttp.access" not in line]  # one line per try

        assert "internal_error" in again
        posted = asyncio.ensure_future(sim.post_message(chan, alice, "deploying api v9 to prod"))
        del server.refused[server.app_token]
        await wait_for_line(proc, "reconnected to Slack in Socket Mode")
        assert (await wait_status(port, 200))["slack"] == "ok"
        assert (await asyncio.wait_for(posted, 30)).status == 200  # waited for the new connection
        assert server.connections_opened == 2
        assert 'scribe_captured_entries_total{kind="deploy"} 1.0' in await metric_lines(
            port, "scribe_captured"
        )
        _took, err = await sigterm_logs(proc)
        assert " ERROR " not in err


async def test_an_app_token_refused_on_a_reconnect_ends_the_process_with_exit_2(tmp_path: Path) -> None:
    async with socket_bot(tmp_path) as (_sim, server, proc, _port):
        await wait_for_line(proc, "connected to Slack in Socket Mode")
        server.refused[server.app_token] = "token_revoked"
        await server.refresh()
        _out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 2, err.decode()
        lines = err.decode().strip().splitlines()
        assert lines[-1] == "scribe: SLACK_APP_TOKEN was refused by Slack (token_revoked)"
        assert [line for line in lines if "SLACK_APP_TOKEN" in line] == lines[-1:]  # said once
        assert "Traceback" not in err.decode() and " ERROR " not in err.decode()


def malformed(channel: str, user: str) -> list[tuple[str, object]]:
    """Envelopes that pass no HTTP-mode check (bot/slack/envelope.py), as (kind, payload)."""
    message = {"type": "message", "channel": channel, "user": user, "text": "deploying v2 prod"}
    callback = {"type": "event_callback", "team_id": "TSIM00001", "event_id": "Ev0BAD"}
    return [
        ("event", {**callback, "event": "x"}),
        ("event", {**callback, "event": {**message, "ts": "notats"}}),
        ("event", None),
        ("event", [1, 2]),
        ("command", {"command": "/postmortem", "text": "help", "user_id": user}),
        ("command", {"command": "/postmortem", "text": ["help"], "channel_id": channel, "user_id": user}),
    ]


async def test_malformed_envelopes_are_acknowledged_once_counted_rejected_and_not_dispatched(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with Harness(db_url, mode="socket") as h:
        server = h.sim.socket
        assert server is not None
        server.ack_timeout = 1.0
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-junk", members=[alice])
        bad = malformed(chan, alice)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            for kind, payload in bad:
                acked = await server.send(kind, payload)  # type: ignore[arg-type]
                assert acked.payload is not None and acked.attempts == 1, (kind, payload)
        refused = [r for r in caplog.records if "refused a Socket Mode" in r.getMessage()]
        assert len(refused) == len(bad)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
        metrics = h.services.metrics.exposition().decode()
        assert f'scribe_slack_requests_total{{outcome="rejected"}} {float(len(bad))}' in metrics
        assert 'outcome="error"' not in metrics and 'outcome="ok"' not in metrics  # nothing dispatched
        assert await entries(h) == []
        posted = await h.sim.post_message(chan, alice, "rolling back search to v1.4.2")  # still served
        assert posted.status == 200 and await entries(h) == [(posted.ts, "rollback")]
