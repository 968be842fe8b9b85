"""Resolve "which channel, and is it an incident?" once per request (the Dispatch habit)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.slack.gateway import GatewayError

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


def channel_id_of(body: dict[str, Any]) -> str | None:
    event = body.get("event")
    if isinstance(event, dict):
        item = event.get("item")
        if isinstance(item, dict) and item.get("channel"):
            return str(item["channel"])
        channel = event.get("channel")
        if isinstance(channel, dict):
            return channel.get("id")
        return channel
    if body.get("channel_id"):  # slash commands
        return str(body["channel_id"])
    channel = body.get("channel")
    if isinstance(channel, dict):  # interactivity, message shortcuts
        return channel.get("id")
    return None


def channel_name_of(body: dict[str, Any]) -> str | None:
    """The name Slack already put in the payload (slash commands, interactivity), if any."""
    if body.get("channel_name"):
        return str(body["channel_name"])
    channel = body.get("channel")
    if isinstance(channel, dict) and channel.get("name"):
        return str(channel["name"])
    return None


class ChannelResolver(AsyncMiddleware):
    """Puts `channel_ref` in the context of every request that concerns a channel.

    A middleware class rather than a decorated function: Bolt calls it directly instead of building
    the whole set of injectable arguments for it on every request."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        channel_id = channel_id_of(req.body)
        if channel_id:
            try:
                req.context["channel_ref"] = await self.services.channel_ref(
                    channel_id, channel_name_of(req.body)
                )
            except GatewayError as exc:
                # Cannot tell whether it is an incident channel within the ack (rate-limited, say):
                # answer at once with an error so Slack delivers it again later, rather than drop it.
                log.warning("channel %s unknown for now (%s); Slack will redeliver", channel_id, exc.error)
                return BoltResponse(status=503, body="")
        return await next()


def register(app: AsyncApp, services: Services) -> None:
    app.middleware(ChannelResolver(services))
