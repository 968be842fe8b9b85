"""Assemble everything a post-mortem draft says from stored data: one pure function, `build_report`.

The templates only lay out what is computed here, so numbers, ordering and wording of facts are
tested in Python and a custom template cannot get them wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from bot.domain import ALL_KINDS, FollowUp, Incident, TimelineEntry
from bot.incident_state import IncidentState, derive_state, trusted

from .changes import Change, artifacts
from .claims import Claim, build_claims
from .evidence import entry_confidence, first_ref, ref_values
from .lineage import RollbackInfo, trace
from .metrics import Alert, Metrics, compute_metrics, pair_alerts
from .policy import Flag, Policy, policy_flags

# Seed 003: "All production rollback incidents require a post-mortem within 48 hours."
POSTMORTEM_DEADLINE = timedelta(hours=48)

_PREFIX = re.compile(r"^inc(?:ident)?[-_]+", re.IGNORECASE)
_NUMERIC_ID = re.compile(r"^\d+(?:[-_]\d+)*")


def incident_id(channel_name: str) -> str:
    """`incident-1042` → `INC-1042`; `inc_2025-12-02-api-down` → `INC-2025-12-02`; `incident-db` → `INC-DB`.

    Digits right after the prefix are the id (the rest is a slug); a name without them keeps its words.
    """
    name = channel_name.lstrip("#")
    rest = _PREFIX.sub("", name)
    if not rest:
        return name.upper()
    m = _NUMERIC_ID.match(rest)
    core = m.group(0) if m else rest
    return "INC-" + core.replace("_", "-").upper()


def iso_utc(at: datetime) -> str:
    """`2026-02-10T10:00:00.000Z`, the timestamp form of seed 000."""
    # isoformat is several times faster than strftime, which matters at 100k rows.
    return at.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def iso_in(at: datetime, tz: tzinfo) -> str:
    """ISO 8601 in the display zone (SCRIBE_TIMEZONE): `…Z` for UTC as in seed 000, else with the
    zone's offset (`2026-02-10T05:00:00.000-05:00`), so the instant stays unambiguous."""
    local = at.astimezone(tz)
    if not local.utcoffset():
        return iso_utc(at)
    return local.isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class Header:
    incident_id: str
    title: str
    channel_id: str
    channel_name: str
    status: str
    severity: str | None
    commander: str | None
    opened_at: datetime
    resolved_at: datetime | None
    services: tuple[str, ...]
    environments: tuple[str, ...]
    tz_name: str
    generated_at: datetime
    postmortem_due: datetime | None  # resolution + the deadline, when the incident is resolved
    # Status, commander and severity with where each came from (a command, an entry, nothing).
    state: IncidentState
    postmortem_due_hours: float = POSTMORTEM_DEADLINE.total_seconds() / 3600  # SCRIBE_POSTMORTEM_DUE_HOURS
    # The channel's history was still being read back (a late join, a gap): earlier messages may be missing.
    history_incomplete: bool = False


@dataclass(frozen=True, slots=True)
class TimelineRow:
    ts: str  # Slack ts
    at: datetime
    iso: str
    kind: str
    service: str
    ref: str
    text: str
    author: str
    author_kind: str
    source: str | None
    capture: str
    confidence: float
    unconfirmed: bool  # the bot's own confidence in the kind is weak (shown as unconfirmed)
    permalink: str | None
    thread_ts: str | None


@dataclass(frozen=True, slots=True)
class ActionItem:
    id: int
    ref: str  # FU-12
    description: str
    owner: str
    due: str | None  # ISO date
    status: str
    priority: str
    category: str  # Prevent | Detect | Respond | Long-term
    overdue: bool


@dataclass(frozen=True, slots=True)
class Counts:
    messages: int
    timeline: int
    chatter: int  # `other`: captured but not an event
    human_messages: int
    bot_messages: int
    by_kind: tuple[tuple[str, int], ...]
    followups_open: int
    followups_done: int


@dataclass(frozen=True, slots=True)
class Report:
    header: Header
    timeline: tuple[TimelineRow, ...]
    decisions: tuple[TimelineRow, ...]
    notes: tuple[TimelineRow, ...]
    changes: tuple[Change, ...]
    rollbacks: tuple[RollbackInfo, ...]  # every rollback, each paired with the deploy it undid
    alerts: tuple[Alert, ...]
    metrics: Metrics
    claims: tuple[Claim, ...]
    artifacts: tuple[str, ...]
    flags: tuple[Flag, ...]
    actions: tuple[ActionItem, ...]
    responders: tuple[str, ...]
    counts: Counts
    summary: str  # facts-only draft of the summary, from the claims
    tz: tzinfo
    now: datetime

    @property
    def rollback(self) -> RollbackInfo | None:
        """The first rollback, for templates written before an incident could show several."""
        return self.rollbacks[0] if self.rollbacks else None


_DETECT = re.compile(
    r"\b(alert|alarm|monitor|dashboard|detect|observab|metric|slo|page|paging|probe|health ?check)",
    re.IGNORECASE,
)
_RESPOND = re.compile(
    r"\b(runbook|playbook|on-?call|escalat|communicat|status ?page|drill|practi[cs]e|respon|train)",
    re.IGNORECASE,
)
_LONG = re.compile(
    r"\b(long[- ]term|architect|redesign|migrat|canary|roadmap|re-?platform|rewrite|strategy)", re.IGNORECASE
)


def categorise(description: str, due: object, now: datetime) -> str:
    """Seed 001's Prevent / Detect / Respond / Long-term, from the wording (editable in the draft)."""
    if _LONG.search(description):
        return "Long-term"
    if _DETECT.search(description):
        return "Detect"
    if _RESPOND.search(description):
        return "Respond"
    if due is not None and hasattr(due, "toordinal") and due.toordinal() - now.date().toordinal() > 60:
        return "Long-term"
    return "Prevent"


def _row(e: TimelineEntry, tz: tzinfo, inherited: dict[str, str]) -> TimelineRow:
    refs = e.refs
    ref = next((v for key in ("change_id", "alert", "ticket", "commit") if (v := first_ref(refs, key))), "")
    author = e.author_name or e.author_id or e.source or ""
    return TimelineRow(
        ts=e.ts,
        at=e.occurred_at,
        iso=iso_in(e.occurred_at, tz),
        kind=e.kind,
        service=", ".join(ref_values(refs, "service")) or inherited.get(e.ts, ""),
        ref=ref,
        text=e.text,
        author=author,
        author_kind=e.author_kind,
        source=e.source,
        capture=e.capture,
        confidence=entry_confidence(e),
        unconfirmed=not trusted(e.confidence),
        permalink=e.permalink,
        thread_ts=e.thread_ts,
    )


def _actions(followups: Sequence[FollowUp], now: datetime) -> tuple[ActionItem, ...]:
    today = now.date()
    items = [
        ActionItem(
            id=f.id,
            ref=f"FU-{f.id}",
            description=f.description,
            owner=f.owner_name or f.owner_id,
            due=f.due.isoformat() if f.due else None,
            status=f.status,
            priority=f.priority,
            category=categorise(f.description, f.due, now),
            overdue=f.status != "done" and f.due is not None and f.due < today,
        )
        for f in followups
    ]
    order = {"high": 0, "medium": 1, "low": 2}
    items.sort(key=lambda a: (a.status == "done", order.get(a.priority, 3), a.due or "9999", a.id))
    return tuple(items)


def build_report(
    incident: Incident,
    entries: Sequence[TimelineEntry],
    followups: Sequence[FollowUp],
    *,
    now: datetime,
    tz: tzinfo,
    policy: Policy,
    postmortem_due_hours: float = POSTMORTEM_DEADLINE.total_seconds() / 3600,
) -> Report:
    ordered = sorted(entries, key=lambda e: (e.occurred_at, e.ts))
    events = [e for e in ordered if e.kind != "other"]
    # What the bot is unsure of is listed (as unconfirmed) but never measured or argued from.
    sure = [e for e in events if trusted(e.confidence)]
    lineage = trace(sure)
    inherited = dict(lineage.inherited_services)
    rows = tuple(_row(e, tz, inherited) for e in events)

    changes = lineage.changes
    alerts = pair_alerts(sure)
    metrics = compute_metrics(sure, alerts, incident)
    claims = build_claims(changes, alerts, metrics, sure)
    state = derive_state(incident, ordered)

    responders: dict[str, str] = {}  # user id (or name, without one) → name
    services: dict[str, None] = {}
    environments: dict[str, None] = {}
    by_kind: dict[str, int] = dict.fromkeys(ALL_KINDS, 0)
    human = 0
    for e in ordered:
        by_kind[e.kind] = by_kind.get(e.kind, 0) + 1
        if e.author_kind == "human":
            human += 1
            # One person, whatever the path their entries took: keyed by user id, named when any
            # of their entries has the name.
            person = e.author_id or e.author_name
            if person and responders.get(person, person) == person:
                responders[person] = e.author_name or person
        if e.kind != "other":
            for s in ref_values(e.refs, "service") or ((inherited[e.ts],) if e.ts in inherited else ()):
                services.setdefault(s, None)
            for env in ref_values(e.refs, "environment"):
                environments.setdefault(env, None)

    resolved_at = metrics.resolution.at or state.resolved_at
    commander = state.commander.value_name or state.commander.value
    header = Header(
        incident_id=incident_id(incident.channel_name),
        title=f"Post-mortem: {incident_id(incident.channel_name)}",
        channel_id=incident.channel_id,
        channel_name=incident.channel_name,
        status=state.status.value or incident.status,
        severity=state.severity.value,
        commander=commander,
        opened_at=incident.opened_at,
        resolved_at=resolved_at,
        services=tuple(services),
        environments=tuple(environments),
        tz_name=str(getattr(tz, "key", None) or now.astimezone(tz).tzname() or "UTC"),
        generated_at=now,
        postmortem_due=resolved_at + timedelta(hours=postmortem_due_hours) if resolved_at else None,
        state=state,
        postmortem_due_hours=postmortem_due_hours,
    )
    counts = Counts(
        messages=len(ordered),
        timeline=len(rows),
        chatter=by_kind.get("other", 0),
        human_messages=human,
        bot_messages=len(ordered) - human,
        by_kind=tuple((k, n) for k, n in by_kind.items() if n),
        followups_open=sum(1 for f in followups if f.status != "done"),
        followups_done=sum(1 for f in followups if f.status == "done"),
    )
    return Report(
        header=header,
        timeline=rows,
        decisions=tuple(r for r in rows if r.kind == "decision"),
        notes=tuple(r for r in rows if r.kind == "note"),
        changes=changes,
        rollbacks=lineage.rollbacks,
        alerts=tuple(alerts),
        metrics=metrics,
        claims=tuple(claims),
        artifacts=tuple(artifacts(sure)),
        flags=tuple(policy_flags(changes, policy)),
        actions=_actions(followups, now),
        responders=tuple(responders.values()),
        counts=counts,
        summary=" ".join(c.statement for c in claims[:6]),
        tz=tz,
        now=now,
    )
