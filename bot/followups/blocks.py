"""Block Kit for follow-up DMs: pure builders over `FollowUp` values, returning plain dicts.

Built with slack_sdk's models (which validate on `to_dict()`); the 50-block cap is guarded here by
listing at most MAX_ITEMS items per message.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.domain import FollowUp
from bot.followups.policy import overdue_days, short_id
from bot.postmortem.text import mrkdwn, truncate_wire

ACTION_DONE = "followup_done"
ACTION_SNOOZE_DAY = "followup_snooze_1d"
ACTION_SNOOZE_WEEK = "followup_snooze_7d"
ACTIONS = (ACTION_DONE, ACTION_SNOOZE_DAY, ACTION_SNOOZE_WEEK)

# header + 2 blocks per item + "and N more" stays under Slack's 50-block limit.
MAX_ITEMS = 20
_MAX_DESCRIPTION = 600
_BLOCK_ID = re.compile(r"^followup(?:_actions)?:(\d+)$")
_PRIORITY_MARK = {"high": "🔴 high", "medium": "🟡 medium", "low": "⚪ low"}


def item_ids_in(blocks: Sequence[Mapping[str, Any]] | None) -> list[int]:
    """The follow-up ids a digest message shows, read back from its block_ids (for in-place updates)."""
    seen: dict[int, None] = {}
    for block in blocks or ():
        m = _BLOCK_ID.match(str(block.get("block_id") or ""))
        if m:
            seen.setdefault(int(m.group(1)), None)
    return list(seen)


def _clip(text: str, limit: int = _MAX_DESCRIPTION) -> str:
    """A description (typed through the slash command, so in Slack's wire form: already mrkdwn, never
    escaped again) cut to `limit`, its broadcasts neutralised."""
    return mrkdwn(truncate_wire(text, limit))


def _when(dt: datetime, zone: ZoneInfo) -> str:
    return dt.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def describe_due(item: FollowUp, now: datetime, zone: ZoneInfo) -> str:
    if item.due is None:
        return "no due date"
    late = overdue_days(item.due, now, zone) if item.status == "open" else 0
    if late == 1:
        return f"due {item.due.isoformat()} (1 day overdue)"
    if late > 1:
        return f"due {item.due.isoformat()} ({late} days overdue)"
    return f"due {item.due.isoformat()}"


def item_line(
    item: FollowUp, now: datetime, zone: ZoneInfo, *, redacted: bool = False, permalink: str | None = None
) -> str:
    """One item as mrkdwn: id, description, incident, due, priority and state."""
    where = f"<{permalink}|#{item.channel_name or item.channel_id}>" if permalink else f"<#{item.channel_id}>"
    if redacted:
        head = f"*{short_id(item.id)}* _a follow-up in a private channel you are not a member of_"
        where = "private channel"
    elif item.status == "done":
        head = f"*{short_id(item.id)}* ~{_clip(item.description)}~"
    else:
        head = f"*{short_id(item.id)}* {_clip(item.description)}"
    facts = [
        where,
        describe_due(item, now, zone),
        f"priority {_PRIORITY_MARK.get(item.priority, item.priority)}",
    ]
    lines = [head, " · ".join(facts)]
    if item.status == "done":
        by = f" by <@{item.done_by}>" if item.done_by else ""
        lines.append(f"✅ Done{by}")
    elif item.snoozed_until is not None and item.snoozed_until > now:
        lines.append(f"💤 Snoozed until {_when(item.snoozed_until, zone)}")
    return "\n".join(lines)


def _actions_template() -> dict[str, Any]:
    return ActionsBlock(
        block_id="followup_actions:0",
        elements=[
            ButtonElement(text="Done", action_id=ACTION_DONE, value="0", style="primary"),
            ButtonElement(text="Snooze 1 day", action_id=ACTION_SNOOZE_DAY, value="0"),
            ButtonElement(text="Snooze 1 week", action_id=ACTION_SNOOZE_WEEK, value="0"),
        ],
    ).to_dict()


# slack_sdk validates on every to_dict() (about a millisecond per button row); the row is the same
# for every item but for its id, so it is built and validated once and stamped per item.
_ACTIONS = _actions_template()


def _actions(item_id: int) -> dict[str, Any]:
    value = str(item_id)
    return {
        **_ACTIONS,
        "block_id": f"followup_actions:{value}",
        "elements": [{**e, "value": value} for e in _ACTIONS["elements"]],
    }


def _item_blocks(
    item: FollowUp, now: datetime, zone: ZoneInfo, *, redacted: bool, permalink: str | None
) -> list[dict[str, Any]]:
    section = SectionBlock(
        block_id=f"followup:{item.id}",
        text=MarkdownTextObject(text=item_line(item, now, zone, redacted=redacted, permalink=permalink)),
    )
    out = [section.to_dict()]
    if item.status == "open":
        out.append(_actions(item.id))
    return out


def digest_blocks(
    items: Sequence[FollowUp],
    now: datetime,
    zone: ZoneInfo,
    *,
    redacted: Collection[int] = (),
    permalinks: Mapping[int, str] | None = None,
) -> list[dict[str, Any]]:
    """The owner's reminder DM: every listed item with Done / Snooze buttons while it is open."""
    open_count = sum(1 for i in items if i.status == "open")
    title = (
        f"You have {open_count} follow-up{'s' if open_count != 1 else ''} due"
        if open_count
        else "All caught up — nothing due"
    )
    out: list[dict[str, Any]] = [HeaderBlock(text=PlainTextObject(text=title[:150], emoji=True)).to_dict()]
    shown = list(items)[:MAX_ITEMS]
    links = permalinks or {}
    for item in shown:
        out.extend(_item_blocks(item, now, zone, redacted=item.id in redacted, permalink=links.get(item.id)))
    hidden = len(items) - len(shown)
    if hidden > 0:
        tail = f"…and {hidden} more. `/postmortem followup list mine` shows them all."
        more = MarkdownTextObject(text=tail)
        out.append(ContextBlock(elements=[more]).to_dict())
    return out


def digest_text(items: Sequence[FollowUp], redacted: Collection[int] = ()) -> str:
    """Notification/fallback text: what a phone lock screen shows."""
    open_items = [i for i in items if i.status == "open"]
    if not open_items:
        return "All caught up — nothing due."
    parts = [
        f"{short_id(i.id)} {'(private channel)' if i.id in redacted else _clip(i.description, 80)}"
        for i in open_items[:5]
    ]
    more = f" and {len(open_items) - 5} more" if len(open_items) > 5 else ""
    noun = "follow-up" if len(open_items) == 1 else "follow-ups"
    return f"You have {len(open_items)} {noun} due: " + "; ".join(parts) + more


def escalation_text(items: Sequence[FollowUp], now: datetime, zone: ZoneInfo, after_days: int) -> str:
    """To the incident commander (or channel): items overdue by at least `after_days` days."""
    channel = items[0].channel_id if items else ""
    lines = [f"⚠️ Follow-ups from <#{channel}> overdue by {after_days}+ days:"]
    for item in items:
        lines.append(
            f"• *{short_id(item.id)}* {_clip(item.description, 200)} — owner <@{item.owner_id}>, "
            f"{describe_due(item, now, zone)}, priority {item.priority}"
            + (f", DM failed: {item.delivery_error}" if item.delivery_error else "")
        )
    return "\n".join(lines)


def postmortem_due_text(
    channel_id: str, resolved_at: datetime, zone: ZoneInfo, *, to_channel: bool, due_hours: float
) -> str:
    who = "This incident" if to_channel else f"The incident in <#{channel_id}>"
    return (
        f"📝 {who} was resolved {_when(resolved_at, zone)}; its post-mortem was due within {due_hours:g} "
        f"hours and there is no draft yet. Run `/postmortem draft` in <#{channel_id}> to write one."
    )


def list_text(
    items: Sequence[FollowUp],
    now: datetime,
    zone: ZoneInfo,
    *,
    title: str,
    redacted: Collection[int] = (),
    show_channel: bool = True,
) -> str:
    """`followup list` / `list mine` as one mrkdwn message."""
    if not items:
        return f"{title}: none."
    lines = [f"*{title}*"]
    for item in items:
        lines.append(
            "• " + _list_line(item, now, zone, redacted=item.id in redacted, show_channel=show_channel)
        )
    return "\n".join(lines)


def _list_line(item: FollowUp, now: datetime, zone: ZoneInfo, *, redacted: bool, show_channel: bool) -> str:
    owner = f"<@{item.owner_id}>"
    if redacted:
        text = "_(in a private channel you are not a member of)_"
    elif item.status == "done":
        text = f"~{_clip(item.description, 200)}~"
    else:
        text = _clip(item.description, 200)
    facts = [owner, describe_due(item, now, zone), item.priority]
    if item.status == "done":
        facts.append("done" + (f" by <@{item.done_by}>" if item.done_by else ""))
    else:
        facts.append("open")
        if item.snoozed_until is not None and item.snoozed_until > now:
            facts.append(f"snoozed until {_when(item.snoozed_until, zone)}")
    if item.delivery_error:
        facts.append(f"⚠️ reminder DM failed: {item.delivery_error}")
    where = "" if redacted or not show_channel else f" (<#{item.channel_id}>)"
    return f"*{short_id(item.id)}* {text}{where} — " + ", ".join(facts)
