"""Events API listeners: one per subscribed event, each a thin call into capture.

Bolt runs only the first matching listener and answers 404 for events nobody handles, so the
single `message` listener dispatches on subtype, and every event in manifest.yml is listened to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.slack.context import ChannelRef
from bot.slack.listeners.commands import usage

if TYPE_CHECKING:
    from bot.services import Services


def register(app: AsyncApp, services: Services) -> None:
    capture = services.capture

    def channel(context: AsyncBoltContext) -> ChannelRef:
        return context.get("channel_ref") or ChannelRef("", None, False)

    @app.event("message")
    async def on_message(event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext) -> None:
        event_id = body.get("event_id")
        subtype = event.get("subtype")
        if subtype == "message_changed":
            await capture.on_changed(channel(context), event, event_id)
        elif subtype == "message_deleted":
            await capture.on_deleted(channel(context), event, event_id)
        else:
            await capture.on_message(channel(context), event, event_id)

    @app.event("reaction_added")
    async def on_reaction_added(event: dict[str, Any], context: AsyncBoltContext) -> None:
        ref, item = channel(context), event.get("item") or {}
        if not ref.is_incident or item.get("type") != "message":
            return
        if event.get("reaction") == capture.settings.capture_reaction:
            message = await services.gateway.fetch_message(ref.id, item["ts"])
            if message is not None:
                await capture.capture_by_hand(ref, message, "reaction")
        elif event.get("reaction") == capture.settings.undo_reaction:
            await capture.take_out(ref, item["ts"])

    @app.event("reaction_removed")
    async def on_reaction_removed(event: dict[str, Any], context: AsyncBoltContext) -> None:
        ref, item = channel(context), event.get("item") or {}
        if ref.is_incident and event.get("reaction") == capture.settings.capture_reaction and item.get("ts"):
            await capture.take_out(ref, item["ts"], only_if_captured_by="reaction")

    @app.event("member_joined_channel")
    async def on_member_joined(event: dict[str, Any], context: AsyncBoltContext) -> None:
        ref = channel(context)
        services.gateway.forget_members(ref.id)
        auth = await services.gateway.auth()
        if ref.is_incident and event.get("user") == auth.get("user_id"):
            # Joined late: what was said before is read after Slack has its answer.
            services.tasks.spawn(capture.history.catch_up(ref, from_start=True), name=f"backfill {ref.id}")

    @app.event("member_left_channel")
    async def on_member_left(context: AsyncBoltContext) -> None:
        # Whoever left must stop seeing the channel's text in DMs and replies now, not when the
        # cached member list expires.
        services.gateway.forget_members(channel(context).id)

    async def join_if_incident(channel: dict[str, Any]) -> None:
        # channel_created/channel_rename are sent for public channels only (group_rename is the
        # private one, and a private channel needs an invite).
        name, channel_id = channel.get("name") or "", channel.get("id") or ""
        if channel_id and services.settings.channel_regex.search(name):
            await services.gateway.join_public(channel_id)

    @app.event("channel_created")
    async def on_channel_created(event: dict[str, Any]) -> None:
        await join_if_incident(event.get("channel") or {})

    @app.event("channel_rename")
    async def on_channel_rename(event: dict[str, Any]) -> None:
        channel = event.get("channel") or {}
        services.gateway.forget_channel(channel.get("id", ""))
        await join_if_incident(channel)

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any]) -> None:
        # Only the person who asked sees the help; in an incident channel the mention itself is
        # captured by the `message` listener like any other message.
        if event.get("user") and event.get("channel"):
            await services.gateway.post_ephemeral(event["channel"], event["user"], usage(services))
