"""Signed HTTP requests to a Slack app endpoint, built exactly as Slack builds them.

Used by the simulator to deliver events, slash commands and interactions, and directly by tests that
need to tamper with a request (old timestamps, wrong secrets, retry headers, raw bodies).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import aiohttp

DEFAULT_TEAM_ID = "TSIM00001"
DEFAULT_APP_ID = "ASCRIBE01"
DEFAULT_BOT_USER_ID = "USCRIBE01"
DEFAULT_VERIFICATION_TOKEN = "sim-verification-token"


def sign(body: bytes, timestamp: int, secret: str) -> str:
    """Slack's v0 request signature: HMAC-SHA256 of `v0:{timestamp}:{body}`, hex, prefixed `v0=`."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def new_event_id() -> str:
    return "Ev" + base64.b32encode(secrets.token_bytes(7)).decode().rstrip("=")[:10]


@dataclass(frozen=True)
class Response:
    status: int
    body: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


class SignedSlackClient:
    """Sends Slack-signed requests to one app URL (the bot's `/slack/events`)."""

    sign = staticmethod(sign)

    def __init__(
        self,
        url: str,
        signing_secret: str,
        *,
        team_id: str = DEFAULT_TEAM_ID,
        api_app_id: str = DEFAULT_APP_ID,
        bot_user_id: str = DEFAULT_BOT_USER_ID,
        verification_token: str = DEFAULT_VERIFICATION_TOKEN,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.api_app_id = api_app_id
        self.bot_user_id = bot_user_id
        self.verification_token = verification_token
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SignedSlackClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- payload builders -------------------------------------------------------------------------
    def envelope(
        self, event: dict[str, Any], *, event_id: str | None = None, event_time: int | None = None,
        team_id: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """The Events API `event_callback` wrapper Slack puts around every event."""
        team = team_id or self.team_id
        event_id = event_id or new_event_id()
        context = base64.b64encode(json.dumps({"tid": team, "eid": event_id}).encode()).decode()
        return {
            "token": self.verification_token,
            "team_id": team,
            "context_team_id": team,
            "context_enterprise_id": None,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": event_time if event_time is not None else int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + context,
        }

    # -- senders ----------------------------------------------------------------------------------
    async def send_event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        timestamp: int | None = None,
        signing_secret: str | None = None,
        team_id: str | None = None,
    ) -> Response:
        envelope = self.envelope(event, event_id=event_id, team_id=team_id)
        return await self.send_envelope(
            envelope, retry_num=retry_num, retry_reason=retry_reason, timestamp=timestamp,
            signing_secret=signing_secret,
        )  # fmt: skip

    async def send_envelope(
        self,
        envelope: dict[str, Any],
        *,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        timestamp: int | None = None,
        signing_secret: str | None = None,
    ) -> Response:
        """Send a complete Events API body as is (also `url_verification` and redeliveries)."""
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        body = json.dumps(envelope, separators=(",", ":")).encode()
        return await self.send_raw(
            body, "application/json", timestamp=timestamp, signing_secret=signing_secret, headers=headers
        )

    async def url_verification(self, challenge: str = "sim-challenge") -> Response:
        body = {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}
        return await self.send_envelope(body)

    async def send_command(
        self, form: dict[str, Any], *, timestamp: int | None = None, signing_secret: str | None = None
    ) -> Response:
        """A slash command: form-encoded fields (command, text, user_id, channel_id, response_url…)."""
        body = urlencode({k: _form_value(v) for k, v in form.items()}).encode()
        return await self.send_raw(
            body, "application/x-www-form-urlencoded", timestamp=timestamp, signing_secret=signing_secret
        )

    async def send_interaction(
        self, payload: dict[str, Any], *, timestamp: int | None = None, signing_secret: str | None = None
    ) -> Response:
        """Interactivity (block_actions, message_action, view_submission): form field `payload` = JSON."""
        body = urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode()
        return await self.send_raw(
            body, "application/x-www-form-urlencoded", timestamp=timestamp, signing_secret=signing_secret
        )

    async def send_raw(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signing_secret: str | None = None,
        headers: Mapping[str, str] | None = None,
        signed: bool = True,
    ) -> Response:
        ts = timestamp if timestamp is not None else int(time.time())
        all_headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if signed:
            all_headers["X-Slack-Request-Timestamp"] = str(ts)
            all_headers["X-Slack-Signature"] = sign(body, ts, signing_secret or self.signing_secret)
        all_headers.update(headers or {})
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        async with self._session.post(self.url, data=body, headers=all_headers) as res:
            text = await res.text()
            return Response(status=res.status, body=text, headers=dict(res.headers))


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
