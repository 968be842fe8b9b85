"""Resolve "which channel, and is it an incident?" once per request (the Dispatch habit)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

if TYPE_CHECKING:
    from bot.app import Services


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


def register(app: AsyncApp, services: Services) -> None:
    @app.middleware
    async def resolve_channel(
        body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]
    ) -> Any:
        channel_id = channel_id_of(body)
        if channel_id:
            context["channel_ref"] = await services.channel_ref(channel_id, channel_name_of(body))
        return await next()
