"""How much each captured entry can be trusted, and how a draft names the entries it cites.

Pure functions over `TimelineEntry` values; the definitions are written up in docs/postmortem.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.domain import RefValue, TimelineEntry


def ref_values(refs: Mapping[str, RefValue], key: str) -> tuple[str, ...]:
    """A ref as a tuple of the values written, whether the message named one or several."""
    value = refs.get(key)
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(v for v in value if v)


def first_ref(refs: Mapping[str, RefValue], key: str) -> str | None:
    values = ref_values(refs, key)
    return values[0] if values else None


# A person confirmed the kind (reaction, shortcut, note, or a correction that locked the kind).
CONF_HUMAN_CONFIRMED = 0.95
# An integration we recognised (Alertmanager, Argo CD…) reporting its own state change.
CONF_INTEGRATION = 0.9
# A bot message we did not recognise as a known integration.
CONF_BOT = 0.8
# A human's free text, judged by the classifier alone.
CONF_HUMAN_AUTO = 0.7
# Read back from channel history rather than the live event stream: same judgement, a little older.
BACKFILL_PENALTY = 0.05


def entry_confidence(entry: TimelineEntry) -> float:
    """How sure we are that the entry is what its kind says, from how it was captured."""
    if entry.kind_locked or entry.capture in ("reaction", "shortcut", "note"):
        return CONF_HUMAN_CONFIRMED
    if entry.author_kind == "bot":
        base = CONF_INTEGRATION if entry.source else CONF_BOT
    else:
        base = CONF_HUMAN_AUTO
    if entry.capture == "backfill":
        base -= BACKFILL_PENALTY
    return round(base, 2)


@dataclass(frozen=True, slots=True)
class EvidenceRef:
    """One supporting timeline entry, named the way a reader can find it in the timeline."""

    label: str  # a ref from the message (DEP-7781, an alert name…) or "message by <author>"
    ts: str  # Slack ts of the message: stable identity across drafts
    at: datetime
    kind: str
    confidence: float
    permalink: str | None = None


def entry_label(entry: TimelineEntry) -> str:
    refs = entry.refs
    for key in ("change_id", "alert", "ticket", "commit"):
        value = first_ref(refs, key)
        if value:
            return value
    who = entry.author_name or entry.author_id or entry.source or "unknown"
    return f"{entry.kind} by {who}"


def ref_of(entry: TimelineEntry) -> EvidenceRef:
    return EvidenceRef(
        label=entry_label(entry),
        ts=entry.ts,
        at=entry.occurred_at,
        kind=entry.kind,
        confidence=entry_confidence(entry),
        permalink=entry.permalink,
    )
