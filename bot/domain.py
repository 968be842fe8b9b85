"""Plain data shared by the pure core (capture, post-mortem, follow-ups) and the edges.

Nothing here imports Slack, the database or the clock: storage converts its rows into these
values and the pure functions only ever see these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

# The timeline vocabulary of CONTRACT.md, in rule order, plus `note` for hand-added entries.
KINDS: tuple[str, ...] = (
    "other",
    "decision",
    "rollback",
    "deploy",
    "ack",
    "alert_firing",
    "alert_resolved",
    "mitigated",
    "resolved",
)
NOTE = "note"
ALL_KINDS: tuple[str, ...] = (*KINDS, NOTE)

REF_KEYS: tuple[str, ...] = (
    "service",
    "version",
    "from_version",
    "change_id",
    "alert",
    "ticket",
    "commit",
    "environment",
)

# How sure the bot is of an entry's kind, surest first: an integration's own parser, a team rule
# (SCRIBE_RULES_FILE), a person set or confirmed it, a strong human cue, a weak one (shown as
# unconfirmed in the draft and listed by `/postmortem review`).
CONFIDENCE_LEVELS: tuple[str, ...] = ("integration", "rule", "confirmed", "strong", "weak")
Confidence = Literal["integration", "rule", "confirmed", "strong", "weak"]

# A ref is one value as written, or several in order of appearance ("search 2.0.0 and auth 1.4.1":
# service ["search", "auth"], version ["2.0.0", "1.4.1"], paired by position).
RefValue = str | list[str]

AuthorKind = Literal["human", "bot"]
# How an entry reached the timeline: the event stream, a capture reaction, the message shortcut,
# `/postmortem note`, or a backfill read of channel history.
CaptureSource = Literal["auto", "reaction", "shortcut", "note", "backfill"]
Priority = Literal["high", "medium", "low"]


@dataclass(frozen=True, slots=True)
class Classification:
    kind: str
    refs: Mapping[str, RefValue] = field(default_factory=dict)
    # Integration recognised in the message ("alertmanager", "pagerduty", "argocd"…), None for humans.
    source: str | None = None
    confidence: Confidence = "strong"


@dataclass(frozen=True, slots=True)
class Incident:
    channel_id: str
    channel_name: str
    status: str  # open | mitigated | resolved
    opened_at: datetime
    resolved_at: datetime | None = None
    severity: str | None = None
    commander_id: str | None = None
    commander_name: str | None = None
    id: int | None = None
    # Who set the field with `/postmortem status|ic|severity`, and when; None when nobody did (then
    # the value is what the bot inferred from the timeline, see bot.incident_state).
    status_set_by: str | None = None
    status_set_at: datetime | None = None
    commander_set_by: str | None = None
    commander_set_at: datetime | None = None
    severity_set_by: str | None = None
    severity_set_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    channel_id: str
    ts: str  # Slack message ts, the entry's identity within the channel
    occurred_at: datetime  # aware UTC, derived from ts
    kind: str
    text: str  # flattened message text as classified
    refs: Mapping[str, RefValue] = field(default_factory=dict)
    author_id: str | None = None
    author_name: str | None = None
    author_kind: AuthorKind = "human"
    source: str | None = None
    capture: CaptureSource = "auto"
    thread_ts: str | None = None
    kind_locked: bool = False  # a human set or corrected the kind: reclassification leaves it alone
    confidence: Confidence = "strong"
    permalink: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class FollowUp:
    id: int
    channel_id: str
    owner_id: str
    description: str
    created_by: str
    created_at: datetime
    priority: Priority = "medium"
    due: date | None = None
    status: str = "open"  # open | done
    owner_name: str | None = None
    done_at: datetime | None = None
    done_by: str | None = None
    snoozed_until: datetime | None = None
    last_reminded_at: datetime | None = None
    delivery_error: str | None = None
    channel_name: str | None = None
