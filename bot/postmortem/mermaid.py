"""A Mermaid gantt chart of the incident: changes and response milestones as points, alerts as bars.

Only key events go in (never chatter or every message), capped per section, so the diagram stays
readable and small at 100k entries.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .assemble import Report

MAX_PER_SECTION = 25
# Mermaid gantt syntax uses ':' to end a task name, '#' and ';' as comment/statement marks, and a
# line break ends the task; anything outside this set is dropped so user text cannot inject syntax.
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._/+()>\-→]")


def label(text: str, limit: int = 48) -> str:
    cleaned = " ".join(_UNSAFE.sub(" ", text).split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned or "event"


def _t(at: datetime, tz: tzinfo = UTC) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def gantt(report: Report) -> str:
    lines = [
        "gantt",
        f"    title {label(report.header.incident_id)} (times in {label(report.header.tz_name)})",
        "    dateFormat YYYY-MM-DD HH:mm:ss",
        "    axisFormat %H:%M",
    ]
    n = 0

    def task(name: str, tags: str, start: datetime, end: datetime | None = None) -> None:
        nonlocal n
        n += 1
        until = _t(end, report.tz) if end is not None else "0m"
        lines.append(f"    {label(name)} :{tags}t{n}, {_t(start, report.tz)}, {until}")

    changes = report.changes
    if changes:
        lines.append("    section Changes")
        for c in changes[:MAX_PER_SECTION]:
            what = "Deploy" if c.kind == "deploy" else "Rollback"
            target = f"to {c.version}" if c.kind == "rollback" and c.version else (c.version or "")
            task(f"{what} {c.change_id or ''} {c.service or ''} {target}", "milestone, ", c.started_at)
        if len(changes) > MAX_PER_SECTION:
            lines.append(f"    %% {len(changes) - MAX_PER_SECTION} more changes not shown")

    alerts = [a for a in report.alerts if a.fired_at is not None]
    if alerts:
        lines.append("    section Alerts")
        end_default = report.metrics.resolution.at or report.now
        for a in alerts[:MAX_PER_SECTION]:
            assert a.fired_at is not None
            end = a.resolved_at or max(end_default, a.fired_at)
            still = "" if a.resolved_at else " (no resolve seen)"
            if end > a.fired_at:
                task(f"{a.name}{still}", "crit, ", a.fired_at, end)
            else:
                task(f"{a.name}{still}", "crit, milestone, ", a.fired_at)
        if len(alerts) > MAX_PER_SECTION:
            lines.append(f"    %% {len(alerts) - MAX_PER_SECTION} more alerts not shown")

    m = report.metrics
    points = [
        ("Impact start", m.start.at if m.start.ref is not None and m.start.ref.kind == "deploy" else None),
        ("Detected", m.detection.at),
        ("Acknowledged", m.acknowledgement.at),
        ("Mitigated", m.mitigation.at),
        ("Resolved", m.resolution.at),
    ]
    if any(at for _, at in points):
        lines.append("    section Response")
        for name, at in points:
            if at is not None:
                task(name, "milestone, ", at)
    return "\n".join(lines)
