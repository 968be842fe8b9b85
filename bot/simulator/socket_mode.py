"""Slack's side of Socket Mode, for the simulator (api.slack.com/apis/socket-mode).

`apps.connections.open`, called with the app-level token, returns a one-time `ws://` URL served
here. On connect the app gets `hello`; then every Events API callback, slash command and
interaction arrives as an envelope (`events_api`, `slash_commands`, `interactive`) that the app
acknowledges by sending back `{"envelope_id": …, "payload": …}`. An `events_api` envelope not
acknowledged in time is sent again with `retry_attempt` / `retry_reason`. `refresh()` sends a
`disconnect` (reason `refresh_requested`): the app opens a new connection, and envelopes sent
meanwhile wait for it. Nothing is lost; nothing is delivered to a connection being retired.
`stall()` is the network failing under an open connection: nothing the app sends arrives, its
close frame included, so its close is never answered. `links_down` is the WebSocket host out of
reach while the Web API answers (a proxy refusing the upgrade): every connection attempt fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.simulator.state import SlackApiError

ENVELOPE_TYPES = {"event": "events_api", "command": "slash_commands", "interaction": "interactive"}
DISCONNECT_REFRESH = {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "sim-link"}}
# Slack retries an unacknowledged events_api envelope up to 3 times.
MAX_RETRIES = 3


@dataclass
class _Connection:
    ws: web.WebSocketResponse
    transport: asyncio.Transport | None = None
    retiring: bool = False
    closed: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True)
class Acked:
    """What became of one envelope: the ack's payload (None when never acknowledged)."""

    envelope_id: str
    payload: dict[str, Any] | None
    attempts: int


class SocketModeServer:
    def __init__(
        self, app_token: str, bot_token: str, app_id: str, *, ack_timeout: float = 3.0,
        connect_timeout: float = 10.0,
    ) -> None:  # fmt: skip
        self.app_token, self.bot_token, self.app_id = app_token, bot_token, app_id
        self.ack_timeout, self.connect_timeout = ack_timeout, connect_timeout
        self.base_url = ""
        self.connections_opened = 0
        self.envelopes: list[dict[str, Any]] = []  # every envelope sent, retries included
        self.drop_acks = 0  # the next n acks are "lost" (tests of redelivery)
        self.links_down = False
        # Tokens Slack knows but refuses, and with what (token_revoked, not_allowed_token_type…).
        self.refused: dict[str, str] = {}
        self._tickets: set[str] = set()
        self._connections: list[_Connection] = []
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._connected = asyncio.Event()

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/link/{ticket}", self._handle_ws)

    # -- the Web API method ----------------------------------------------------------------------
    def open(self, token: str | None) -> dict[str, Any]:
        """apps.connections.open: app-level tokens only (a bot token is the wrong type)."""
        if not token:
            raise SlackApiError("not_authed")
        if token in self.refused:
            raise SlackApiError(self.refused[token])
        if token == self.bot_token or token.startswith(("xoxb-", "xoxp-")):
            raise SlackApiError("not_allowed_token_type")
        if token != self.app_token:
            raise SlackApiError("invalid_auth")
        ticket = secrets.token_urlsafe(16)
        self._tickets.add(ticket)
        return {"url": f"{self.base_url.replace('http://', 'ws://')}/link/{ticket}"}

    # -- driving ---------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return any(not c.retiring for c in self._connections)

    async def wait_connected(self) -> None:
        await asyncio.wait_for(self._connected.wait(), self.connect_timeout)

    async def refresh(self) -> None:
        """Slack's periodic refresh: `disconnect` (refresh_requested) on every open connection."""
        for conn in list(self._connections):
            conn.retiring = True
            message = {
                "type": "disconnect",
                "reason": "refresh_requested",
                "debug_info": {"host": "sim-link"},
            }
            with contextlib.suppress(ConnectionError, RuntimeError):
                await conn.ws.send_str(json.dumps(message))
        self._update_connected()

    async def drop(self) -> None:
        """The connection goes away without a word (network, load balancer)."""
        for conn in list(self._connections):
            conn.retiring = True
            await conn.ws.close()
        self._update_connected()

    def stall(self) -> None:
        """The network stops carrying the app's frames: nothing it sends is read any more."""
        for conn in self._connections:
            if conn.transport is not None:
                conn.transport.pause_reading()

    async def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> Acked:
        """Deliver one envelope and wait for its ack; events are sent again while unacknowledged."""
        envelope_type = ENVELOPE_TYPES[kind]
        envelope_id = str(uuid.uuid4())
        attempt = retry_num or 0
        reason = retry_reason or ""
        while True:
            envelope: dict[str, Any] = {
                "envelope_id": envelope_id,
                "payload": payload,
                "type": envelope_type,
                "accepts_response_payload": envelope_type != "events_api",
            }
            if envelope_type == "events_api":
                envelope.update(retry_attempt=attempt, retry_reason=reason)
            ack = await self._send_once(envelope)
            if ack is not None or envelope_type != "events_api" or attempt >= MAX_RETRIES:
                return Acked(envelope_id, ack, attempt + 1)
            attempt, reason = attempt + 1, "timeout"

    async def _send_once(self, envelope: dict[str, Any]) -> dict[str, Any] | None:
        await self.wait_connected()
        conn = next(c for c in reversed(self._connections) if not c.retiring)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[envelope["envelope_id"]] = future
        self.envelopes.append(envelope)
        try:
            await conn.ws.send_str(json.dumps(envelope))
            return await asyncio.wait_for(asyncio.shield(future), self.ack_timeout)
        except (TimeoutError, ConnectionError, RuntimeError):
            return None
        finally:
            self._pending.pop(envelope["envelope_id"], None)

    # -- the WebSocket ---------------------------------------------------------------------------
    async def _handle_ws(self, request: web.Request) -> web.StreamResponse:
        if self.links_down:
            return web.Response(status=502, text="bad gateway")
        ticket = request.match_info["ticket"]
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid or used ticket")
        self._tickets.discard(ticket)  # a URL is good for one connection
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = _Connection(ws, request.transport)  # type: ignore[arg-type]
        self.connections_opened += 1
        hello = {
            "type": "hello",
            "num_connections": 1 + sum(not c.retiring for c in self._connections),
            "debug_info": {"host": "sim-link", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }
        await ws.send_str(json.dumps(hello))
        self._connections.append(conn)
        self._update_connected()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._on_ack(message.data)
        finally:
            self._connections.remove(conn)
            self._update_connected()
        return ws

    def _on_ack(self, data: str) -> None:
        try:
            ack = json.loads(data)
        except ValueError:
            return
        future = self._pending.get(str(ack.get("envelope_id")))
        if future is None or future.done():
            return
        if self.drop_acks:
            self.drop_acks -= 1
            return
        future.set_result(ack.get("payload") or {})

    def _update_connected(self) -> None:
        if self.connected:
            self._connected.set()
        else:
            self._connected.clear()

    async def close(self) -> None:
        for conn in list(self._connections):
            if conn.transport is not None and not conn.transport.is_closing():
                conn.transport.resume_reading()  # a stalled one: read the app's close, not wait for it
            await conn.ws.close()
