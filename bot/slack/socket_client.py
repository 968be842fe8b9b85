"""slack-sdk's Socket Mode client with two of its habits replaced.

Reconnecting. slack-sdk reconnects where it notices the need — a `disconnect` message, a CLOSE
frame, its session monitor — with one `apps.connections.open` call that gives up on the first
error. After a refresh whose reconnect failed it stays on the retired connection, to which Slack
delivers nothing, and never tries again: deaf while it looks connected. Here each of those only
asks for a reconnect (`reconnect_wanted`); `SocketModeRunner` does it, retrying until a
connection opens, and a connection Slack asked us to leave no longer counts as open. `connect()`
is one try at one URL (slack-sdk's retries the same one-time URL forever).

Screening. An envelope whose payload is not shaped as Slack's (`envelope.problem`, the check HTTP
mode answers 400 with) is acknowledged — unacknowledged, Slack would send it again three times —
logged as one warning, counted `rejected`, and never dispatched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from aiohttp import ClientWebSocketResponse
from slack_sdk.socket_mode.aiohttp import SocketModeClient

from bot.observability.metrics import Metrics
from bot.slack import envelope

log = logging.getLogger("scribe.socket")

# The envelope types that carry a payload for the app (the others are `hello` and `disconnect`).
ENVELOPE_TYPES = frozenset({"events_api", "slash_commands", "interactive"})
# How long Slack's answer to a close frame is waited for (one round trip when all is well).
CLOSE_SECONDS = 0.5


class SocketClient(SocketModeClient):
    def __init__(self, app_token: str, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(app_token, **kwargs)
        self.metrics = metrics
        self.reconnect_wanted = asyncio.Event()
        # The connection a `disconnect` asked us to leave: Slack delivers nothing more to it.
        self.retired: ClientWebSocketResponse | None = None

    async def connect_to_new_endpoint(self, force: bool = False) -> None:
        if force:  # slack-sdk's call for a `disconnect` message
            self.retired = self.current_session
        self.reconnect_wanted.set()

    async def is_open(self) -> bool:
        """A connection Slack delivers envelopes to is open."""
        return self.current_session is not self.retired and await self.is_connected()

    def forget_session(self) -> None:
        """Stop watching and reading the current connection (it is gone, or retired): slack-sdk's
        monitor would log a reconnect every ping interval while the runner retries."""
        for task in (self.current_session_monitor, self.message_receiver):
            if task is not None:
                task.cancel()
        self.current_session_monitor = self.message_receiver = None

    async def connect(self) -> None:
        """One try at `wss_uri`, replacing the current connection; raises if it does not open."""
        async with self.connect_operation_lock:
            self.auto_reconnect_enabled = False  # the old connection's close is ours, not a drop
            old = self.current_session
            if old is not None:
                await close_session(old)
            session = await self.aiohttp_client_session.ws_connect(
                self.wss_uri,
                autoping=False,
                heartbeat=self.ping_interval,
                proxy=self.proxy,
                ssl=self.web_client.ssl if self.web_client.ssl is not None else True,
            )
            self.current_session, self.stale, self.last_ping_pong_time = session, False, None
            self.auto_reconnect_enabled = self.default_auto_reconnect_enabled
            self.logger.info("A new session (%s) has been established", await self.session_id())
            await session.ping(f"sdk-ping-pong:{time.time()}".encode())
            self.forget_session()
            self.current_session_monitor = asyncio.ensure_future(self.monitor_current_session())
            self.message_receiver = asyncio.ensure_future(self.receive_messages())

    async def run_message_listeners(self, message: dict[str, Any], raw_message: str) -> None:
        kind, envelope_id = message.get("type"), message.get("envelope_id")
        if kind in ENVELOPE_TYPES and isinstance(envelope_id, str):
            why = envelope.problem(message.get("payload"))
            if why:
                await self._reject(str(kind), envelope_id, why)
                return
        await super().run_message_listeners(message, raw_message)

    async def _reject(self, kind: str, envelope_id: str, why: str) -> None:
        self.metrics.slack_requests.labels("rejected").inc()
        log.warning("refused a Socket Mode %s envelope: %s", kind, why)
        try:
            await self.send_socket_mode_response({"envelope_id": envelope_id})
        except ConnectionError as exc:  # Slack sends it again, on the next connection
            log.warning("could not acknowledge the refused envelope (%s)", type(exc).__name__)


async def close_session(session: ClientWebSocketResponse) -> None:
    """Close a connection without waiting more than CLOSE_SECONDS for Slack's answer (aiohttp
    waits 10 s): the close frame is sent either way, and a stalled peer never answers."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(CLOSE_SECONDS):
            await session.close()
