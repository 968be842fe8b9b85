"""Claims: statements a reviewer can check, each with the timeline entries that support it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC

from bot.domain import TimelineEntry

from .changes import Change
from .evidence import EvidenceRef
from .metrics import Alert, Metrics, format_duration


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


def number_claims(items: Sequence[tuple[str, Sequence[EvidenceRef]]]) -> list[Claim]:
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
    never causes: causation is for the author to judge.
    """
    items: list[tuple[str, Sequence[EvidenceRef]]] = []
    detection = metrics.detection
    first_alert = (
        detection.ref if detection.ref is not None and detection.ref.kind == "alert_firing" else None
    )

    deploys = [c for c in changes if c.kind == "deploy"]
    rollbacks = [c for c in changes if c.kind == "rollback"]
    if first_alert is not None:
        before = [c for c in deploys if c.started_at <= first_alert.at]
        if before:
            d = before[-1]
            gap = format_duration(first_alert.at - d.started_at)
            items.append(
                (f"A deploy ({_describe(d)}) preceded the first alert by {gap}.", (d.best_ref, first_alert))
            )
        after = [c for c in deploys if c.started_at > first_alert.at]
        if after:
            names = ", ".join(_describe(c) for c in after[:5])
            items.append(
                (f"Deploys followed the first alert: {names}.", tuple(c.best_ref for c in after[:5]))
            )
    elif deploys:
        items.append(
            (
                f"Deploys were posted: {', '.join(_describe(c) for c in deploys[:5])}.",
                tuple(c.best_ref for c in deploys[:5]),
            )
        )

    fired = [a for a in alerts if a.fire_ref is not None]
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
        who = ack.ref.label.split(" by ", 1)[1] if " by " in ack.ref.label else None
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

    resolved = [a for a in alerts if a.resolve_ref is not None]
    if resolved:
        names = ", ".join(dict.fromkeys(a.name for a in resolved[:10]))
        refs = tuple(a.resolve_ref for a in resolved[:10])  # type: ignore[misc]
        if rollbacks and all(a.resolved_at >= rollbacks[0].started_at for a in resolved):  # type: ignore[operator]
            last = max(a.resolved_at for a in resolved)  # type: ignore[type-var]
            gap = format_duration(last - rollbacks[0].started_at)  # type: ignore[operator]
            items.append(
                (
                    f"Alerts resolved after the rollback ({names}), the last {gap} after it began.",
                    (rollbacks[0].best_ref, *refs),
                )
            )
        else:
            items.append((f"Alerts resolved: {names}.", refs))
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


def _describe(c: Change) -> str:
    parts = [p for p in (c.change_id, c.service, c.version) if p]
    return " ".join(parts) or c.kind
