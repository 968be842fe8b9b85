"""Response metrics derived from the timeline (seed 004's "time to …" lines).

Each instant says which entry it came from; an instant with no basis in the timeline stays unknown
(`at is None`) and every duration that needs it says so instead of guessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import Incident, TimelineEntry

from .changes import Change
from .evidence import EvidenceRef, first_ref, ref_of, ref_values
from .lineage import trace
from .text import format_duration

# Only a deploy this close before detection is taken as the start of impact; an older one is more
# likely unrelated background, and claiming it would be a guess.
START_LOOKBACK = timedelta(hours=6)


def service_key(service: str | None) -> str | None:
    """What `same_service` compares, for indexing changes by service: None when unknown."""
    return service.lower() if service else None


def same_service(a: str | None, b: str | None) -> bool | None:
    """Whether a change and an alert are of one service: None when either service is unknown, so a
    caller relates them only when this is True and says "service unknown" when it is None."""
    ka, kb = service_key(a), service_key(b)
    if ka is None or kb is None:
        return None
    return ka == kb


@dataclass(frozen=True, slots=True)
class Alert:
    name: str
    service: str | None
    fired_at: datetime | None
    resolved_at: datetime | None
    fire_ref: EvidenceRef | None
    resolve_ref: EvidenceRef | None
    # Resolved only on a person's word, though an alerting tool reported the alert firing.
    said_by_person: bool = False

    @property
    def duration(self) -> timedelta | None:
        if self.fired_at and self.resolved_at and self.resolved_at >= self.fired_at:
            return self.resolved_at - self.fired_at
        return None

    @property
    def refs(self) -> tuple[EvidenceRef, ...]:
        return tuple(r for r in (self.fire_ref, self.resolve_ref) if r is not None)


def pair_alerts(entries: Sequence[TimelineEntry]) -> list[Alert]:
    """One row per alert episode: its firing matched with its resolution.

    An alert is known by its name and any paging ticket it came with (`PD-8812`), so a paging
    tool's page of an alert Alertmanager reported is the same alert. A repeated firing of an alert
    that is still open is a re-notification, not a new alert; a firing after it resolved is a new
    episode, and another report of a resolution already made (a second tool, a person relaying it)
    adds nothing.

    Whose word closes an alert: the alerting tool's own resolution always does, and is the time
    kept. A person's resolution naming an alert a tool reported stands only until the tool reports
    its own (or fires again, which shows it was still firing). A person's resolution naming no
    alert never closes an alert a tool reported: it closes one a person reported, matched by
    service or the only open alert, and otherwise is no alert at all. A tool's unnamed resolution
    matches by service or the only open alert; failing that it is listed on its own (fired time
    unknown) rather than attached to a guess.
    """
    rows: list[_Row] = []
    by_key: dict[str, _Row] = {}  # latest episode per alert name / ticket
    live: dict[int, _Row] = {}  # episodes not closed for good, in firing order
    for e in entries:
        if e.kind not in ("alert_firing", "alert_resolved"):
            continue
        keys = (*ref_values(e.refs, "alert"), *ref_values(e.refs, "ticket"))
        tool = e.author_kind == "bot"
        if e.kind == "alert_firing":
            keys = keys or (_short(e.text),)
            row = next((r for r in map(by_key.get, keys) if r is not None and not r.closed), None)
            if row is None:
                row = _Row(keys[0], first_ref(e.refs, "service"), e.occurred_at, ref_of(e), by_tool=tool)
                rows.append(row)
                live[id(row)] = row
            elif tool:
                # A tool reports it (too): from now on its word decides; if a person already said it
                # resolved, the tool still reporting it firing shows that was early.
                row.by_tool = True
                if row.said_by_person:
                    row.resolved_at = row.resolve_ref = None
                    row.said_by_person = False
            by_key.update(dict.fromkeys(keys, row))
            continue
        service = first_ref(e.refs, "service")
        if keys:
            row = next((r for r in map(by_key.get, keys) if r is not None), None)
            if row is None:
                row = _Row(keys[0], service, None, None, by_tool=tool)
                rows.append(row)
                by_key.update(dict.fromkeys(keys, row))
            elif row.closed or (row.resolved_at is not None and not tool):
                continue  # a resolution already made, reported again
        else:
            open_ = list(live.values())
            # A person's unnamed word never closes what a tool reported; a tool's may close either.
            mine = open_ if tool else [r for r in open_ if not r.by_tool]
            row = next((r for r in mine if service and r.service == service), None)
            if row is None and len(open_) == 1 and mine:
                row = mine[0]
            if row is None:
                if not tool:
                    continue
                row = _Row(_short(e.text), service, None, None, by_tool=True)
                rows.append(row)
        row.resolved_at, row.resolve_ref = e.occurred_at, ref_of(e)
        # A person's resolution of a tool's alert stands until the tool reports its own.
        row.said_by_person = not tool and row.by_tool
        row.closed = not row.said_by_person
        if row.closed:
            live.pop(id(row), None)
    rows.sort(key=lambda r: r.fired_at or r.resolved_at)  # type: ignore[arg-type,return-value]
    return [
        Alert(r.name, r.service, r.fired_at, r.resolved_at, r.fire_ref, r.resolve_ref, r.said_by_person)
        for r in rows
    ]


@dataclass(slots=True)
class _Row:
    """An alert episode while `pair_alerts` reads the timeline."""

    name: str
    service: str | None
    fired_at: datetime | None
    fire_ref: EvidenceRef | None
    by_tool: bool  # reported by a bot (the alerting tool), not only relayed by a person
    resolved_at: datetime | None = None
    resolve_ref: EvidenceRef | None = None
    said_by_person: bool = False  # resolved only on a person's word, the tool not yet agreeing
    closed: bool = False  # resolved for good: a later firing is a new episode


def _short(text: str) -> str:
    first = " ".join(text.split())
    return first[:60] + ("…" if len(first) > 60 else "")


@dataclass(frozen=True, slots=True)
class Instant:
    name: str  # start | detection | acknowledgement | mitigation | resolution
    at: datetime | None
    basis: str  # where it came from, or why it is unknown
    ref: EvidenceRef | None = None

    @property
    def known(self) -> bool:
        return self.at is not None


@dataclass(frozen=True, slots=True)
class Span:
    name: str  # time_to_detect …, total_duration
    label: str  # "Time to detect"
    seconds: float | None
    text: str  # "3 min", or "unknown (no acknowledgement in the timeline)"
    definition: str

    @property
    def minutes(self) -> float | None:
        return None if self.seconds is None else self.seconds / 60


@dataclass(frozen=True, slots=True)
class Metrics:
    start: Instant
    detection: Instant
    acknowledgement: Instant
    mitigation: Instant
    resolution: Instant
    time_to_detect: Span
    time_to_acknowledge: Span
    time_to_mitigate: Span
    time_to_resolve: Span
    total_duration: Span

    @property
    def instants(self) -> tuple[Instant, ...]:
        return (self.start, self.detection, self.acknowledgement, self.mitigation, self.resolution)

    @property
    def spans(self) -> tuple[Span, ...]:
        return (
            self.time_to_detect,
            self.time_to_acknowledge,
            self.time_to_mitigate,
            self.time_to_resolve,
            self.total_duration,
        )


DEFINITIONS: dict[str, str] = {
    "start": "the first deploy of the first alert's service within 6 h before detection (the likely "
    "trigger); with none, the first deploy there whose service, or the alert's, is unknown (the basis "
    "says so); otherwise detection itself. A deploy of another service is never the start",
    "detection": "the first alert firing; with no alert, when the incident channel was opened",
    "acknowledgement": "the first acknowledgement (`ack`) at or after detection",
    "mitigation": "the first message stating impact stopped (`mitigated`); otherwise the moment the last "
    "open alert resolved, when every alert that fired has resolved (an alert a tool reported is resolved "
    "by the tool's own message, or a person's naming it; a person's line naming no alert resolves none "
    "of them)",
    "resolution": "the first message declaring the incident resolved; otherwise when the incident was "
    "marked resolved",
    "time_to_detect": "detection − start",
    "time_to_acknowledge": "acknowledgement − detection",
    "time_to_mitigate": "mitigation − detection",
    "time_to_resolve": "resolution − detection",
    "total_duration": "resolution (or mitigation while unresolved) − start",
}


def _first(
    entries: Sequence[TimelineEntry], kind: str, after: datetime | None = None
) -> TimelineEntry | None:
    for e in entries:
        if e.kind == kind and (after is None or e.occurred_at >= after):
            return e
    return None


def _span(name: str, label: str, a: Instant, b: Instant) -> Span:
    definition = DEFINITIONS[name]
    if a.at is None or b.at is None:
        missing = a if a.at is None else b
        return Span(name, label, None, f"unknown (no {missing.name} in the timeline)", definition)
    seconds = (b.at - a.at).total_seconds()
    if seconds < 0:
        return Span(name, label, None, f"unknown ({b.name} was recorded before {a.name})", definition)
    return Span(name, label, seconds, format_duration(seconds), definition)


def _recent_deploys(entries: Sequence[TimelineEntry], at: datetime | None) -> list[Change]:
    """The deploy records begun within the lookback before `at`, each with its service as the draft's
    lineage gives it. Only the window's deploy messages and the messages naming their change ids are
    traced: they are all that decide those services, and tracing a whole long timeline is slow."""
    if at is None:
        return []
    inside = {
        e.ts for e in entries if e.kind == "deploy" and timedelta(0) <= at - e.occurred_at <= START_LOOKBACK
    }
    ids = {cid for e in entries if e.ts in inside for cid in ref_values(e.refs, "change_id")}
    traced = [e for e in entries if e.ts in inside or ids.intersection(ref_values(e.refs, "change_id"))]
    return [c for c in trace(traced).changes if c.kind == "deploy"]


def _impact_start(deploys: Sequence[Change], detection: Instant, alert_service: str | None) -> Instant:
    """The first deploy of the first alert's service in the lookback window. A deploy of another
    service is never the start; one whose (or whose alert's) service is unknown is taken only when no
    deploy of that service is in the window, and the basis says the service is unknown."""
    if detection.at is None:
        return Instant("start", None, "unknown (no detection in the timeline)")
    at = detection.at
    window = [c for c in deploys if timedelta(0) <= at - c.started_at <= START_LOOKBACK]
    same = [c for c in window if same_service(c.service, alert_service)]
    if same:
        return Instant(
            "start", same[0].started_at, f"first {same[0].service} deploy before detection", same[0].refs[0]
        )
    unsure = [c for c in window if same_service(c.service, alert_service) is None]
    if unsure:
        c = unsure[0]
        if detection.ref is None:
            why = "no alert to name a service"
        elif alert_service is None:
            why = "the first alert's service is unknown"
        else:
            why = "the deploy's service is unknown"
        return Instant("start", c.started_at, f"first deploy before detection ({why})", c.refs[0])
    whose = f"no {alert_service} deploy" if alert_service else "no deploy"
    return Instant("start", at, f"detection ({whose} shortly before it)", detection.ref)


def compute_metrics(entries: Sequence[TimelineEntry], alerts: Sequence[Alert], incident: Incident) -> Metrics:
    """`entries` must be in time order (the timeline, without `other`)."""
    first_alert = _first(entries, "alert_firing")
    if first_alert is not None:
        detection = Instant("detection", first_alert.occurred_at, "first alert firing", ref_of(first_alert))
    else:
        detection = Instant(
            "detection", incident.opened_at, "incident channel opened (no alert in the timeline)"
        )

    alert_service = first_ref(first_alert.refs, "service") if first_alert is not None else None
    start = _impact_start(_recent_deploys(entries, detection.at), detection, alert_service)

    ack = _first(entries, "ack", after=detection.at)
    acknowledgement = (
        Instant("acknowledgement", ack.occurred_at, "first acknowledgement", ref_of(ack))
        if ack
        else Instant("acknowledgement", None, "no acknowledgement in the timeline")
    )

    mit = _first(entries, "mitigated")
    if mit is not None:
        mitigation = Instant("mitigation", mit.occurred_at, "first 'mitigated' message", ref_of(mit))
    else:
        fired = [a for a in alerts if a.fired_at is not None]
        if fired and all(a.resolved_at is not None for a in fired):
            last = max(fired, key=lambda a: a.resolved_at)  # type: ignore[arg-type,return-value]
            basis = "all alerts resolved"
            if last.said_by_person:
                basis += " (the last on a person's word; its alerting tool has not reported it resolved)"
            mitigation = Instant("mitigation", last.resolved_at, basis, last.resolve_ref)
        else:
            mitigation = Instant("mitigation", None, "no 'mitigated' message and alerts still open")

    res = _first(entries, "resolved")
    if res is not None:
        resolution = Instant("resolution", res.occurred_at, "first 'resolved' message", ref_of(res))
    elif incident.resolved_at is not None:
        resolution = Instant("resolution", incident.resolved_at, "incident marked resolved")
    else:
        resolution = Instant("resolution", None, "not resolved yet")

    end = resolution if resolution.known else mitigation
    total = _span("total_duration", "Total duration", start, end)
    if not resolution.known and mitigation.known and total.seconds is not None:
        total = Span(
            total.name,
            total.label,
            total.seconds,
            f"{total.text} (to mitigation; not resolved yet)",
            total.definition,
        )
    return Metrics(
        start=start,
        detection=detection,
        acknowledgement=acknowledgement,
        mitigation=mitigation,
        resolution=resolution,
        time_to_detect=_span("time_to_detect", "Time to detect", start, detection),
        time_to_acknowledge=_span("time_to_acknowledge", "Time to acknowledge", detection, acknowledgement),
        time_to_mitigate=_span("time_to_mitigate", "Time to mitigate", detection, mitigation),
        time_to_resolve=_span("time_to_resolve", "Time to resolve", detection, resolution),
        total_duration=total,
    )
