"""Block Kit clicks: Done / Snooze on the follow-up reminder DM; kind / take out in `/postmortem review`.

Thin: read the click, let `bot.followups.service` or `bot.review` decide and store, then redraw the
DM in place (or tell the clicker, only them, what happened).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp

from bot import review
from bot.followups import blocks, service
from bot.slack.gateway import GatewayError
from storage import followups as store

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services) -> None:
    async def on_done(ack: Callable[..., Awaitable[Any]], body: dict[str, Any], respond: Any) -> None:
        await ack()
        await _handle(services, body, respond, snooze=None)

    async def on_snooze_day(ack: Callable[..., Awaitable[Any]], body: dict[str, Any], respond: Any) -> None:
        await ack()
        await _handle(services, body, respond, snooze=service.SNOOZE_DAY)

    async def on_snooze_week(ack: Callable[..., Awaitable[Any]], body: dict[str, Any], respond: Any) -> None:
        await ack()
        await _handle(services, body, respond, snooze=service.SNOOZE_WEEK)

    app.action(blocks.ACTION_DONE)(on_done)
    app.action(blocks.ACTION_SNOOZE_DAY)(on_snooze_day)
    app.action(blocks.ACTION_SNOOZE_WEEK)(on_snooze_week)
    register_review(app, services)


def register_review(app: AsyncApp, services: Services) -> None:
    async def on_set_kind(ack: Callable[..., Awaitable[Any]], body: dict[str, Any], respond: Any) -> None:
        await ack()
        user, channel, _ts, _blocks, _value = _click(body)
        action = (body.get("actions") or [{}])[0]
        choice = review.parse_kind_choice(str((action.get("selected_option") or {}).get("value") or ""))
        if choice is None:
            await _tell(services, respond, channel, user, review.bad_choice(services))
            return
        await _tell(services, respond, channel, user, await review.set_kind(services, user, *choice))

    async def on_take_out(ack: Callable[..., Awaitable[Any]], body: dict[str, Any], respond: Any) -> None:
        await ack()
        user, channel, _ts, _blocks, value = _click(body)
        if not value.isdigit():
            await _tell(services, respond, channel, user, review.bad_choice(services))
            return
        await _tell(services, respond, channel, user, await review.take_out(services, user, int(value)))

    app.action(review.ACTION_SET_KIND)(on_set_kind)
    app.action(review.ACTION_TAKE_OUT)(on_take_out)


def _click(body: dict[str, Any]) -> tuple[str, str | None, str | None, list[dict[str, Any]], str]:
    user = str((body.get("user") or {}).get("id") or "")
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    ts = message.get("ts") or container.get("message_ts")
    action = (body.get("actions") or [{}])[0]
    return user, channel, ts, list(message.get("blocks") or []), str(action.get("value") or "")


async def _handle(
    services: Services, body: dict[str, Any], respond: Any, *, snooze: timedelta | None
) -> None:
    user, channel, ts, message_blocks, value = _click(body)
    now = services.clock()
    if not value.isdigit():
        await _tell(services, respond, channel, user, "That button does not name a follow-up.")
        return
    item_id = int(value)
    if snooze is None:
        outcome = await service.close_item(services, item_id, user, now)
    else:
        outcome = await service.snooze_item(services, item_id, user, now, snooze)
    if outcome.status in ("missing", "forbidden"):
        await _tell(services, respond, channel, user, outcome.message)
        return
    if channel and ts:
        await _redraw(services, channel, ts, message_blocks, item_id, user)
    if outcome.status == "already":
        await _tell(services, respond, channel, user, outcome.message)


async def _redraw(
    services: Services, channel: str, ts: str, message_blocks: list[dict[str, Any]], item_id: int, viewer: str
) -> None:
    """Re-render every item the DM lists from the database, so each shows its current state."""
    ids = blocks.item_ids_in(message_blocks) or [item_id]
    async with services.db.session() as session:
        found = {i.id: i for i in await store.get_many(session, ids)}
    items = [found[i] for i in ids if i in found]
    redacted = {i.id for i in items if await service.can_see(services, i.channel_id, viewer) is not True}
    now = services.clock()
    try:
        await services.gateway.update_message(
            channel,
            ts,
            blocks.digest_text(items, redacted),
            blocks=blocks.digest_blocks(items, now, services.settings.zone, redacted=redacted),
        )
    except GatewayError as exc:
        log.warning("could not update follow-up DM %s/%s: %s", channel, ts, exc.error)


async def _tell(services: Services, respond: Any, channel: str | None, user: str, text: str) -> None:
    """Only the clicker sees it: through the click's response_url, else an ephemeral message."""
    try:
        if respond is not None and getattr(respond, "response_url", None):
            await respond(text=text, response_type="ephemeral", replace_original=False)
            return
        if channel:
            await services.gateway.post_ephemeral(channel, user, text)
    except (GatewayError, OSError) as exc:
        log.warning("could not tell %s: %s", user, exc)
