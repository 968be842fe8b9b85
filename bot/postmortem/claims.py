"""Claims: statements a reviewer can check, each with the timeline entries that support it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC

from bot.domain import TimelineEntry

from .acknowledger import acknowledged_by
from .changes import Change
from .evidence import EvidenceRef
from .metrics import Alert, Metrics, format_duration, service_key

# A statement and the entries that support it, before numbering.
Item = tuple[str, Sequence[EvidenceRef]]


@dataclass(frozen=True, slots=True)
class Claim:
    id: str
    statement: str
    refs: tuple[EvidenceRef, ...]
    confidence: float

    @property
    def ref_labels(self) -> str:
        return ", ".join(dict.fromkeys(r.label for r in self.refs))

    @property
    def ref_summary(self) -> str:
        """`DEP-7781 (10:00:00Z), ALT-CPU-1042 (10:03:00Z)`: label and UTC time, to find in the timeline."""
        return ", ".join(dict.fromkeys(f"{r.label} ({r.at.astimezone(UTC):%H:%M:%S}Z)" for r in self.refs))


def claim_confidence(refs: Sequence[EvidenceRef]) -> float:
    """A claim is as strong as its weakest supporting entry."""
    return round(min(r.confidence for r in refs), 2) if refs else 0.0


def number_claims(items: Sequence[Item]) -> list[Claim]:
    return [
        Claim(f"CLM-{n:03d}", statement, tuple(refs), claim_confidence(refs))
        for n, (statement, refs) in enumerate(items, 1)
        if refs
    ]


def build_claims(
    changes: Sequence[Change],
    alerts: Sequence[Alert],
    metrics: Metrics,
    entries: Sequence[TimelineEntry],
) -> list[Claim]:
    """Statements a reviewer can check, each with the entries that support it.

    Only orderings and facts the timeline shows are claimed ("a deploy preceded the first alert"),
    never causes: causation is for the author to judge. A change is related to an alert only when
    both are of one service; when either service is unknown the statement says so, and a change of
    another service is never related to the alert (`metrics.same_service`, as the impact start).
    """
    items: list[Item] = []
    detection = metrics.detection
    first_alert = (
        detection.ref if detection.ref is not None and detection.ref.kind == "alert_firing" else None
    )
    fired = [a for a in alerts if a.fire_ref is not None]
    first = next((a for a in fired if first_alert and a.fire_ref.ts == first_alert.ts), None)  # type: ignore[union-attr]

    deploys = [c for c in changes if c.kind == "deploy"]
    rollbacks = [c for c in changes if c.kind == "rollback"]
    if first is not None:
        items.extend(_deploy_claims(deploys, fired, first))
    elif deploys:
        items.append(
            (
                f"Deploys were posted: {', '.join(_describe(c) for c in deploys[:5])}.",
                tuple(c.best_ref for c in deploys[:5]),
            )
        )

    if fired:
        names = ", ".join(dict.fromkeys(a.name for a in fired[:10]))
        more = f" and {len(fired) - 10} more" if len(fired) > 10 else ""
        noun = "alert" if len(fired) == 1 else "alerts"
        items.append(
            (
                f"{len(fired)} {noun} fired during the incident: {names}{more}.",
                tuple(a.fire_ref for a in fired[:10]),
            )
        )  # type: ignore[misc]

    ack = metrics.acknowledgement
    if ack.ref is not None:
        when = (
            f" {metrics.time_to_acknowledge.text} after the first alert"
            if first_alert and metrics.time_to_acknowledge.seconds is not None
            else ""
        )
        who = _acknowledger(entries, ack.ref)
        items.append((f"On-call acknowledged{f' ({who})' if who else ''}{when}.", (ack.ref,)))

    for rb in rollbacks[:5]:
        target = f" to {rb.version}" if rb.version else ""
        svc = f" {rb.service}" if rb.service else ""
        items.append(
            (
                f"Rollback {rb.change_id or ''}{svc}{target} was initiated.".replace("  ", " "),
                rb.ranked_refs[:3],
            )
        )

    items.extend(_resolution_claims([a for a in alerts if a.resolve_ref is not None], rollbacks))
    still_open = [a for a in fired if a.resolve_ref is None]
    if still_open:
        names = ", ".join(dict.fromkeys(a.name for a in still_open[:10]))
        items.append(
            (
                f"Alerts with no resolution in the timeline: {names}.",
                tuple(a.fire_ref for a in still_open[:10]),
            )
        )  # type: ignore[misc]

    if metrics.mitigation.ref is not None and metrics.mitigation.ref.kind == "mitigated":
        items.append(("Responders reported that impact stopped.", (metrics.mitigation.ref,)))
    if metrics.resolution.ref is not None:
        items.append(("The incident was declared resolved.", (metrics.resolution.ref,)))
    return number_claims(items)


def _acknowledger(entries: Sequence[TimelineEntry], ref: EvidenceRef) -> str | None:
    """The person who acknowledged: a paging tool's message names them ("Acknowledged by bob"); the
    tool itself acknowledged nothing, so with no person named it is only said to be the channel."""
    entry = next((e for e in entries if e.ts == ref.ts), None)
    if entry is None:
        return None
    if entry.author_kind == "bot":
        person = acknowledged_by(entry.text)
        if person:
            return person
        via = entry.source or entry.author_name
        return f"via {via}" if via else None
    return entry.author_name or entry.author_id


def _deploy_claims(deploys: Sequence[Change], fired: Sequence[Alert], first: Alert) -> list[Item]:
    """Deploys before and after the first alert of each service an alert names, of that service only.

    Deploys of unknown service are related (and said to be) only to the first alert; when the first
    alert names no service, every deploy is, each marked. A deploy of a service no alert names is
    listed on its own, related to nothing.
    """
    anchors = [first]
    seen = {first.service.lower()} if first.service else set()
    for a in fired:
        if a.service and a.service.lower() not in seen:
            seen.add(a.service.lower())
            anchors.append(a)
    by_service: dict[str, list[Change]] = {}
    unknown: list[Change] = []
    for d in deploys:
        if (key := service_key(d.service)) is not None:
            by_service.setdefault(key, []).append(d)
        else:
            unknown.append(d)
    items: list[Item] = []
    related: set[int] = set()
    for a in anchors:
        phrase = _alert_phrase(a, len(anchors) == 1)
        # `same_service` True, and None (the deploy's or the alert's service unknown).
        key = service_key(a.service)
        same = by_service.get(key, []) if key is not None else []
        unsure = (unknown if key is not None else list(deploys)) if a is first else []
        for group in (same, unsure):
            related.update(id(d) for d in group)
            before = [d for d in group if d.started_at <= a.fired_at]  # type: ignore[operator]
            after = [d for d in group if d.started_at > a.fired_at]  # type: ignore[operator]
            if before:
                items.append(_preceded(before[-5:], a, phrase))
            if after:
                names = ", ".join(_describe(d) for d in after[:5])
                items.append((f"Deploys followed {phrase}: {names}.", tuple(d.best_ref for d in after[:5])))
    others = [d for d in deploys if id(d) not in related]
    if others:
        names = ", ".join(_describe(d) for d in others[:5])
        items.append(
            (
                f"Deploys of services no alert was attributed to: {names}.",
                tuple(d.best_ref for d in others[:5]),
            )
        )
    return items


def _alert_phrase(a: Alert, only: bool) -> str:
    """`the first alert` when one service's alerts are the only ones; else which alert it is."""
    if only:
        return "the first alert" if a.service else "the first alert (service unknown)"
    return (
        f"the first {a.service} alert ({a.name})"
        if a.service
        else f"the first alert ({a.name}, service unknown)"
    )


def _preceded(before: Sequence[Change], a: Alert, phrase: str) -> Item:
    gaps = [(d, format_duration(a.fired_at - d.started_at)) for d in before]  # type: ignore[operator]
    refs = (*(d.best_ref for d in before), a.fire_ref)
    if len(gaps) == 1:
        ((d, gap),) = gaps
        return f"A deploy ({_describe(d)}) preceded {phrase} by {gap}.", refs  # type: ignore[return-value]
    listed = ", ".join(f"{_describe(d)} by {gap}" for d, gap in gaps)
    return f"Deploys preceded {phrase}: {listed}.", refs  # type: ignore[return-value]


def _resolution_claims(resolved: Sequence[Alert], rollbacks: Sequence[Change]) -> list[Item]:
    """Each resolved alert goes with the latest rollback of its service begun before it resolved
    (or, failing that, one whose service or the alert's is unknown, said so); the rest are listed."""
    # One sweep in time order over alerts and rollbacks, keeping the latest (highest-listed) rollback
    # begun so far per service, of unknown service, and of any: a long timeline has thousands of each.
    chosen: dict[int, int] = {}
    order = sorted(range(len(rollbacks)), key=lambda i: rollbacks[i].started_at)
    latest: dict[str, int] = {}
    latest_unknown = latest_any = -1
    k = 0
    for j in sorted(range(len(resolved)), key=lambda j: resolved[j].resolved_at):  # type: ignore[arg-type,return-value]
        a = resolved[j]
        while k < len(order) and rollbacks[order[k]].started_at <= a.resolved_at:  # type: ignore[operator]
            i, key = order[k], service_key(rollbacks[order[k]].service)
            if key is not None:
                latest[key] = max(latest.get(key, -1), i)
            else:
                latest_unknown = max(latest_unknown, i)
            latest_any = max(latest_any, i)
            k += 1
        # `same_service` True, else None (the rollback's or the alert's service unknown).
        key = service_key(a.service)
        i = latest.get(key, latest_unknown) if key is not None else latest_any
        if i >= 0:
            chosen[j] = i
    by_rollback: dict[int, list[Alert]] = {}
    unrelated: list[Alert] = []
    for j, a in enumerate(resolved):
        if j in chosen:
            by_rollback.setdefault(chosen[j], []).append(a)
        else:
            unrelated.append(a)
    items: list[Item] = []
    for i, group in sorted(by_rollback.items()):
        rb = rollbacks[i]
        names = ", ".join(
            dict.fromkeys(
                f"{a.name} (service unknown)" if rb.service and not a.service else a.name for a in group[:10]
            )
        )
        last = max(a.resolved_at for a in group)  # type: ignore[type-var]
        gap = format_duration(last - rb.started_at)  # type: ignore[operator]
        items.append(
            (
                f"Alerts resolved after {_rollback_phrase(rb, len(rollbacks) == 1)} ({names}), "
                f"the last {gap} after it began.",
                (rb.best_ref, *(a.resolve_ref for a in group[:10])),  # type: ignore[misc]
            )
        )
    if unrelated:
        names = ", ".join(dict.fromkeys(a.name for a in unrelated[:10]))
        items.append((f"Alerts resolved: {names}.", tuple(a.resolve_ref for a in unrelated[:10])))  # type: ignore[misc]
    return items


def _rollback_phrase(rb: Change, only: bool) -> str:
    """`the rollback` when it is the only one; else which rollback, of which service."""
    if only:
        return "the rollback" if rb.service else "the rollback (service unknown)"
    which = rb.change_id or (
        f"to {rb.version}" if rb.version else f"begun {rb.started_at.astimezone(UTC):%H:%M:%S}Z"
    )
    return f"the {rb.service} rollback {which}" if rb.service else f"the rollback {which} (service unknown)"


def _describe(c: Change) -> str:
    parts = [p for p in (c.change_id, c.service, c.version) if p]
    text = " ".join(parts) or c.kind
    return text if c.service else f"{text}, service unknown"
