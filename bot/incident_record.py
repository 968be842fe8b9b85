"""The incident's record with I/O: `/postmortem status|ic|severity` and re-deriving the record after a
correction or a reclassification. What the values mean is decided in `bot.incident_state` (pure).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.incident_state import (
    MOVER_KINDS,
    derive_state,
    parse_mention,
    parse_severity,
    parse_status,
    row_changes,
)
from bot.postmortem.text import neutralise_mentions
from bot.slack.context import ChannelRef
from bot.slack.gateway import GatewayError
from storage import entries as entry_store
from storage import incidents as incident_store

if TYPE_CHECKING:
    from bot.services import Services

VERBS = ("status", "ic", "severity")
TEXTS = "incident_state.j2"


def texts(services: Services) -> Any:
    """The macros of templates/incident_state.j2 (a custom templates directory may override it)."""
    return services.renderer.env.get_template(TEXTS).module


@dataclass(frozen=True, slots=True)
class StateChange:
    field: str  # status | commander | severity
    value: str  # the status, the commander's user id, the severity
    name: str | None = None  # the commander's name as Slack wrote it in the mention


def parse(verb: str, rest: str) -> StateChange | None:
    """The change a `status|ic|severity` command asks for; None for a missing or unknown value."""
    words = rest.split()
    if len(words) != 1:
        return None
    if verb == "status":
        status = parse_status(words[0])
        return StateChange("status", status) if status else None
    if verb == "severity":
        severity = parse_severity(words[0])
        return StateChange("severity", severity) if severity else None
    mention = parse_mention(words[0])
    return StateChange("commander", mention[0], mention[1]) if mention else None


async def may_change(services: Services, channel_id: str, user_id: str) -> bool:
    """Members of the channel only; when membership cannot be confirmed, no."""
    try:
        return await services.gateway.is_member(channel_id, user_id)
    except GatewayError:
        return False


async def apply(
    services: Services, ref: ChannelRef, user_id: str, user_name: str | None, change: StateChange
) -> str:
    """Store the change (who, when), add it to the timeline; the ephemeral reply."""
    now = services.clock()
    t = texts(services)
    shown = change.value
    name = change.name
    if change.field == "commander":
        name = name or await services.gateway.user_name(change.value)
        shown = f"<@{change.value}|{name}>" if name else f"<@{change.value}>"
    # Mentions carry the names Slack gave us, so the Markdown draft can say who without a lookup.
    text = str(t.change_entry(change.field, shown, user_id, user_name))
    kind = change.value if change.field == "status" and change.value != "open" else "note"
    async with services.db.transaction() as session:
        incident_id = await incident_store.open_incident(session, ref.id, ref.name or ref.id, now)
        row = await incident_store.row_by_channel(session, ref.id)
        assert row is not None
        columns = _columns(change, name, row.status, row.resolved_at, user_id, now)
        await incident_store.set_by_command(session, incident_id, change.field, columns, user_id, now)
        await entry_store.insert(session, _entry(ref.id, incident_id, kind, text, user_id, user_name, now))
    return neutralise_mentions(str(t.change_reply(change.field, shown)))


def _columns(
    change: StateChange,
    name: str | None,
    status: str,
    resolved_at: datetime | None,
    user_id: str,
    now: datetime,
) -> dict[str, Any]:
    if change.field == "commander":
        return {"commander_id": change.value, "commander_name": name}
    if change.field == "severity":
        return {"severity": change.value}
    if change.value != "resolved":
        return {"status": change.value, "resolved_at": None, "resolved_by": None}
    # Already resolved (by chat, say): the person confirms it; the incident ended when it ended.
    kept = resolved_at if status == "resolved" and resolved_at else now
    return {"status": "resolved", "resolved_at": kept, "resolved_by": user_id}


def _entry(
    channel_id: str,
    incident_id: int,
    kind: str,
    text: str,
    user_id: str,
    user_name: str | None,
    now: datetime,
) -> dict[str, Any]:
    # Not a Slack message: its ts must never collide with one, nor with another command that instant.
    ts = f"note-{now.timestamp():.6f}-{uuid.uuid4().hex[:8]}"  # Slack's ts form, never a real message's
    return {
        "incident_id": incident_id, "channel_id": channel_id, "ts": ts, "thread_ts": None,
        "occurred_at": now, "kind": kind, "text": text, "raw": {}, "refs": {}, "author_id": user_id,
        "author_name": user_name, "author_kind": "human", "source": None, "capture": "note",
        "hidden": False, "kind_locked": True, "confidence": "confirmed", "created_at": now,
    }  # fmt: skip


async def refresh(session: AsyncSession, incident_id: int) -> None:
    """Re-derive the inferred part of the record from the live timeline (after an entry's kind was
    corrected or it was taken out, or a reclassification); what people set stays as they set it."""
    row = await incident_store.row_by_id(session, incident_id)
    if row is None:
        return
    # Only entries of these kinds can say anything about the record: no need to read the chatter.
    entries = await entry_store.of_kinds(session, incident_id, MOVER_KINDS)
    state = derive_state(incident_store.to_incident(row), entries)
    await incident_store.apply_updates(session, incident_id, row_changes(state))
