"""What changed between two drafts of the same post-mortem.

The digest is small and JSON-serialisable so the caller can store it with the draft record; it keeps
counts and labels, not the timeline, so it stays small at 100k entries.
"""

from __future__ import annotations

from typing import Any

from .assemble import Report
from .metrics import format_duration
from .text import one_line

LINE_MAX = 500


def report_digest(report: Report, *, version: int | None = None) -> dict[str, Any]:
    m = report.metrics
    return {
        "version": version,
        "status": report.header.status,
        "timeline": report.counts.timeline,
        "changes": [[c.kind, c.label, c.version] for c in report.changes],
        "alerts": [a.name for a in report.alerts if a.fired_at is not None],
        "alerts_resolved": sum(1 for a in report.alerts if a.resolved_at is not None),
        "metrics": {s.name: s.seconds for s in m.spans},
        "metric_labels": {s.name: s.label for s in m.spans},
        "flags": [f.statement for f in report.flags],
        "followups_open": report.counts.followups_open,
        "followups_done": report.counts.followups_done,
    }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def what_changed(
    prev_digest: dict[str, Any] | None, report: Report, *, prev_version: int | None = None
) -> str | None:
    """One line such as "since v1: +3 timeline entries, rollback RB-7781 added, time to mitigate now 23 min".

    None when there is no previous draft; "since v1: no changes" when nothing moved. The previous
    version number comes from `prev_version`, else from the digest (`report_digest(..., version=n)`).
    """
    if not prev_digest:
        return None
    cur = report_digest(report)
    if prev_version is None:
        prev_version = prev_digest.get("version")
    head = f"since v{prev_version}" if prev_version is not None else "since the previous draft"
    parts: list[str] = []

    delta = cur["timeline"] - int(prev_digest.get("timeline", 0))
    if delta:
        parts.append(f"{delta:+d} timeline {'entry' if abs(delta) == 1 else 'entries'}")

    if cur["status"] != prev_digest.get("status"):
        parts.append(f"status now {cur['status']}")

    old_changes = {(k, label) for k, label, _ in prev_digest.get("changes", [])}
    added = [(k, label, v) for k, label, v in cur["changes"] if (k, label) not in old_changes]
    for kind, label, ver in added[:3]:
        to = f" to {ver}" if kind == "rollback" and ver and ver not in label else ""
        name = label if label.startswith(kind) else f"{kind} {label}"  # an id-less label names its kind
        parts.append(f"{name}{to} added")
    if len(added) > 3:
        parts.append(f"{len(added) - 3} more changes added")

    old_alerts = set(prev_digest.get("alerts", []))
    new_alerts = [a for a in dict.fromkeys(cur["alerts"]) if a not in old_alerts]
    if new_alerts:
        shown = ", ".join(new_alerts[:3]) + (
            f" and {len(new_alerts) - 3} more" if len(new_alerts) > 3 else ""
        )
        parts.append(f"alert{'s' if len(new_alerts) > 1 else ''} {shown} fired")
    resolved = cur["alerts_resolved"] - int(prev_digest.get("alerts_resolved", 0))
    if resolved > 0:
        parts.append(f"{_plural(resolved, 'alert')} resolved")

    old_metrics = prev_digest.get("metrics", {})
    for name, seconds in cur["metrics"].items():
        before = old_metrics.get(name)
        if before != seconds and name in old_metrics:
            label = cur["metric_labels"][name].lower()
            parts.append(f"{label} now {format_duration(seconds) if seconds is not None else 'unknown'}")

    old_flags = set(prev_digest.get("flags", []))
    new_flags = [f for f in cur["flags"] if f not in old_flags]
    if new_flags:
        parts.append(f"{_plural(len(new_flags), 'policy flag')} added")

    fu = cur["followups_open"] + cur["followups_done"]
    fu_prev = int(prev_digest.get("followups_open", 0)) + int(prev_digest.get("followups_done", 0))
    if fu > fu_prev:
        parts.append(f"+{_plural(fu - fu_prev, 'follow-up')}")
    done = cur["followups_done"] - int(prev_digest.get("followups_done", 0))
    if done > 0:
        parts.append(f"{_plural(done, 'follow-up')} done")

    return one_line(f"{head}: {', '.join(parts) if parts else 'no changes'}", LINE_MAX)
