"""Follow-up commands and button actions: parse, check who may act, store, say what happened.

Listeners stay thin: `/postmortem followup …` ends in `handle_command`, the DM buttons in
`close_item` / `snooze_item`. Slack is reached only through `services.gateway`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.domain import FollowUp
from bot.followups import blocks, grammar, policy
from bot.slack.context import CommandContext, CommandReply
from bot.slack.gateway import GatewayError
from storage import followups as store
from storage import incidents

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

SNOOZE_DAY = timedelta(days=1)
SNOOZE_WEEK = timedelta(days=7)


def _not_here(what: str) -> str:
    return (
        f"`followup {what}` works in an incident channel. "
        "Use `/postmortem followup list mine` anywhere to see your own open follow-ups."
    )


async def handle_command(services: Services, ctx: CommandContext, args: str) -> CommandReply:
    zone = services.settings.zone
    today = ctx.now.astimezone(zone).date()
    try:
        cmd = grammar.parse(args, today)
    except grammar.UsageError as err:
        return CommandReply(ephemeral=str(err))
    if isinstance(cmd, grammar.AddCommand):
        return await _add(services, ctx, cmd)
    if isinstance(cmd, grammar.ListCommand):
        return await (_list_mine(services, ctx) if cmd.mine else _list_incident(services, ctx))
    return await _done_command(services, ctx, cmd)


async def _incident_id(services: Services, ctx: CommandContext) -> int | None:
    if not ctx.is_incident:
        return None
    if ctx.incident_id is not None:
        return ctx.incident_id
    # An incident channel nobody has written in since the bot joined: open its record now.
    async with services.db.transaction() as session:
        return await incidents.open_incident(
            session, ctx.channel_id, ctx.channel_name or ctx.channel_id, ctx.now
        )


async def _add(services: Services, ctx: CommandContext, cmd: grammar.AddCommand) -> CommandReply:
    if not ctx.is_incident:
        return CommandReply(ephemeral=_not_here("add"))
    owner_name = cmd.owner_name
    try:
        user = await services.gateway.user_info(cmd.owner_id)
    except GatewayError:
        user = {}  # cannot tell (scope, outage): accept the mention as given
    if user is not None and (blocked := policy.owner_block_reason({"id": cmd.owner_id, **user})):
        why = {"user_not_found": "is not a user in this workspace", "deactivated": "is deactivated"}
        return CommandReply(
            ephemeral=f"<@{cmd.owner_id}> {why.get(blocked, 'is a bot')}, so they can't own a follow-up. "
            "Nothing was added."
        )
    if user is None:
        return CommandReply(ephemeral=f"I can't find <@{cmd.owner_id}> in this workspace. Nothing was added.")
    if owner_name is None and user:
        profile = user.get("profile") or {}
        owner_name = profile.get("display_name") or user.get("real_name") or user.get("name")
    incident_id = await _incident_id(services, ctx)
    if incident_id is None:
        return CommandReply(ephemeral=_not_here("add"))
    zone = services.settings.zone
    async with services.db.transaction() as session:
        item = await store.add(
            session,
            incident_id=incident_id,
            channel_id=ctx.channel_id,
            owner_id=cmd.owner_id,
            owner_name=owner_name,
            description=cmd.description,
            created_by=ctx.user_id,
            now=ctx.now,
            due=cmd.due,
            priority=cmd.priority,
            next_remind_at=policy.next_remind_at(cmd.due, zone),
        )
    due = f"due {cmd.due.isoformat()}" if cmd.due else "no due date"
    sid = policy.short_id(item.id)
    summary = f"*{sid}* for <@{cmd.owner_id}>: {cmd.description} ({due}, priority {cmd.priority})"
    note = ""
    if cmd.due_in_past:
        note = (
            f"\nNote: the due date {cmd.due} is already in the past, "
            f"so <@{cmd.owner_id}> will be reminded at the next sweep."
        )
    elif cmd.due is None:
        note = "\nIt has no due date, so no reminders will be sent; add `due:YYYY-MM-DD` next time."
    return CommandReply(
        ephemeral=f"Added follow-up {summary}.{note}",
        public=f"📌 <@{ctx.user_id}> added follow-up {summary}",
    )


async def _list_incident(services: Services, ctx: CommandContext) -> CommandReply:
    if not ctx.is_incident or ctx.incident_id is None:
        if ctx.is_incident:
            return CommandReply(ephemeral="No follow-ups in this incident yet.")
        return CommandReply(ephemeral=_not_here("list"))
    async with services.db.session() as session:
        items = await store.list_for_incident(session, ctx.incident_id)
    title = f"Follow-ups in #{ctx.channel_name or ctx.channel_id}"
    return CommandReply(
        ephemeral=blocks.list_text(items, ctx.now, services.settings.zone, title=title, show_channel=False)
    )


async def _list_mine(services: Services, ctx: CommandContext) -> CommandReply:
    async with services.db.session() as session:
        items = await store.list_open_for_owner(session, ctx.user_id)
    # Fail closed: an item from a private channel the caller is not (known to be) in shows no text.
    redacted = {i.id for i in items if await can_see(services, i.channel_id, ctx.user_id) is not True}
    text = blocks.list_text(
        items, ctx.now, services.settings.zone, title="Your open follow-ups", redacted=redacted
    )
    return CommandReply(ephemeral=text)


async def can_see(services: Services, channel_id: str, user_id: str) -> bool | None:
    """True/False when known whether the user may read the channel; None when it cannot be told.
    Callers show a private channel's text only on True: unknown is hidden."""
    try:
        info = await services.gateway.channel_info(channel_id)
    except GatewayError:
        return None
    if info is None:
        return None
    if not info.get("is_private") and not info.get("is_group"):
        return True
    try:
        return await services.gateway.is_member(channel_id, user_id)
    except GatewayError:
        return None


async def _done_command(services: Services, ctx: CommandContext, cmd: grammar.DoneCommand) -> CommandReply:
    outcome = await close_item(services, cmd.item_id, ctx.user_id, ctx.now)
    if outcome.status == "missing":
        return CommandReply(ephemeral=f"{outcome.message}\n{grammar.USAGE}")
    if outcome.status != "ok" or outcome.item is None:
        return CommandReply(ephemeral=outcome.message)
    item = outcome.item
    if item.channel_id != ctx.channel_id:
        # Closed from elsewhere (`list mine` in a DM…): the confirmation belongs to the incident's
        # channel, not to wherever the command was typed, so it stays private — and names the
        # item's text only to someone known to be able to read that channel.
        if await can_see(services, item.channel_id, ctx.user_id) is not True:
            return CommandReply(ephemeral=f"Closed follow-up {policy.short_id(item.id)} (private channel).")
        return CommandReply(ephemeral=outcome.message)
    return CommandReply(
        ephemeral=outcome.message,
        public=(
            f"✅ <@{ctx.user_id}> closed follow-up *{policy.short_id(item.id)}* "
            f"for <@{item.owner_id}>: {item.description}"
        ),
    )


# --- shared by commands and buttons ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # ok | missing | forbidden | already
    message: str
    item: FollowUp | None = None


async def _context(services: Services, item_id: int, user_id: str) -> tuple[store.ItemContext | None, bool]:
    """The item with its incident, and whether `user_id` may close or snooze it: its owner, whoever
    added it, or the incident's commander — the commander only while known to be able to read the
    item's channel, since anyone may be named commander of a private incident. Slack is asked
    outside any database transaction."""
    async with services.db.session() as session:
        ctx = await store.get_context(session, item_id)
    if ctx is None:
        return None, False
    if user_id in {ctx.item.owner_id, ctx.item.created_by}:
        return ctx, True
    if ctx.commander_id is None or user_id != ctx.commander_id:
        return ctx, False
    return ctx, await can_see(services, ctx.item.channel_id, user_id) is True


def _forbidden(ctx: store.ItemContext, verb: str) -> str:
    # Names no one: anyone can guess an item id, and who owns what in a private incident is private.
    sid = policy.short_id(ctx.item.id)
    return (
        f"You can't {verb} follow-up {sid}: only its owner, whoever added it or the incident commander "
        "(a member of its channel) can. Nothing was changed."
    )


async def close_item(services: Services, item_id: int, user_id: str, now: datetime) -> Outcome:
    sid = policy.short_id(item_id)
    ctx, allowed = await _context(services, item_id, user_id)
    if ctx is None:
        return Outcome("missing", f"There is no follow-up {sid}.")
    if not allowed:
        return Outcome("forbidden", _forbidden(ctx, "close"), ctx.item)
    async with services.db.transaction() as session:
        if ctx.item.status != "open" or not await store.mark_done(session, item_id, by=user_id, now=now):
            return Outcome("already", f"Follow-up {sid} is already done.", ctx.item)
        item = await store.get(session, item_id)
    return Outcome("ok", f"Closed follow-up {sid}: {ctx.item.description}", item)


async def snooze_item(
    services: Services, item_id: int, user_id: str, now: datetime, duration: timedelta
) -> Outcome:
    sid = policy.short_id(item_id)
    ctx, allowed = await _context(services, item_id, user_id)
    if ctx is None:
        return Outcome("missing", f"There is no follow-up {sid}.")
    if not allowed:
        return Outcome("forbidden", _forbidden(ctx, "snooze"), ctx.item)
    async with services.db.transaction() as session:
        if ctx.item.status != "open":
            return Outcome("already", f"Follow-up {sid} is already done.", ctx.item)
        until = policy.snooze(now, duration)
        nxt = policy.next_remind_at(
            ctx.item.due,
            services.settings.zone,
            snoozed_until=until,
            last_reminded_at=ctx.item.last_reminded_at,
            repeat=timedelta(hours=services.settings.scribe_reminder_repeat_hours),
        )
        await store.snooze(session, item_id, until=until, next_remind_at=nxt)
        item = await store.get(session, item_id)
    days = duration.days
    span = "1 day" if days == 1 else f"{days} days"
    return Outcome("ok", f"Snoozed follow-up {sid} for {span}.", item)
