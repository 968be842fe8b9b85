"""Message shortcut "Add to incident timeline" (callback_id `add_to_timeline`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.slack.context import ChannelRef

if TYPE_CHECKING:
    from bot.services import Services

CALLBACK_ID = "add_to_timeline"


def register(app: AsyncApp, services: Services) -> None:
    @app.shortcut(CALLBACK_ID)
    async def add_to_timeline(
        ack: Any, body: dict[str, Any], respond: Any, context: AsyncBoltContext
    ) -> None:
        await ack()
        ref: ChannelRef = context.get("channel_ref") or ChannelRef("", None, False)
        if not ref.is_incident:
            await respond(
                text="This channel is not an incident channel; nothing was added.", response_type="ephemeral"
            )
            return
        message = dict(body.get("message") or {})
        message.setdefault("ts", body.get("message_ts"))
        await services.capture.capture_by_hand(ref, message, "shortcut")
        await respond(text="Added to the incident timeline.", response_type="ephemeral")
