"""What the canvas should show, derived from the database alone (pure).

A lost or failed update is repaired by the next one because nothing here depends on what was sent
before: the updater compares this view with what it last wrote (bot/canvas/plan.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from bot.domain import FollowUp, Incident, TimelineEntry
from bot.incident_state import derive_state, trusted
from bot.postmortem.metrics import compute_metrics, pair_alerts

# The fixed sections, in document order; their headings are the canvas's stable anchors.
SECTIONS: tuple[str, ...] = ("status", "timeline", "alerts", "metrics", "followups", "postmortem")
# Sections whose whole body is one canvas element, replaced in one operation.
BODY_SECTIONS: tuple[str, ...] = ("status", "alerts", "metrics", "followups", "postmortem")

# Markup a lookup key stops at: Slack matches `contains_text` against the rendered text.
_MARKUP = re.compile(r"[*_`~\[\]!<>]")
KEY_MAX = 100


@dataclass(frozen=True, slots=True)
class CanvasView:
    title: str
    intro: str
    headings: dict[str, str]  # section → "## Heading"
    bodies: dict[str, str]  # BODY_SECTIONS → one element of Markdown
    timeline: tuple[tuple[str, str], ...]  # (entry ts, "- 10:02:13 · deploy — …"), in time order


@dataclass(frozen=True, slots=True)
class Draft:
    version: int
    created_at: datetime


def _clock(at: datetime | None, tz: tzinfo, fmt: str = "%H:%M:%S") -> str | None:
    return at.astimezone(tz).strftime(fmt) if at is not None else None


def _person(name: str | None, user_id: str | None) -> str | None:
    return name or (f"![](@{user_id})" if user_id else None)


def canvas_view(
    incident: Incident,
    entries: Sequence[TimelineEntry],
    followups: Sequence[FollowUp],
    *,
    tz: tzinfo,
    text: Any,
    draft: Draft | None = None,
) -> CanvasView:
    """`text` is the templates/live/canvas.j2 module (its macros write every visible word)."""
    timeline = [e for e in entries if e.kind != "other"]
    # The same record and measures the draft states: weak entries are never measured or argued from.
    state = derive_state(incident, entries)
    sure = [e for e in timeline if trusted(e.confidence)]
    alerts = pair_alerts(sure)
    metrics = compute_metrics(sure, alerts, incident)
    day = "%Y-%m-%d %H:%M %Z"
    current = state.status.value or incident.status
    status = text.status(
        {
            "status": current,
            "severity": state.severity.value,
            "commander": _person(state.commander.value_name, state.commander.value),
            "detected": _clock(metrics.detection.at, tz, day),
            "resolved": _clock(metrics.resolution.at, tz, day) if current == "resolved" else None,
        }
    )
    alert_rows = [
        {
            "name": a.name,
            "service": a.service if isinstance(a.service, str) else ", ".join(a.service or []),
            "fired": _clock(a.fired_at, tz),
            "resolved": _clock(a.resolved_at, tz),
        }
        for a in alerts
    ]
    m = metrics
    spans = [m.time_to_acknowledge, m.time_to_mitigate, m.time_to_resolve, m.total_duration]
    followup_rows = [
        {
            "id": f.id,
            "owner": f.owner_name or f.owner_id,
            "description": f.description,
            "due": f.due.isoformat() if f.due else None,
            "status": f.status,
        }
        for f in followups
    ]
    bodies = {
        "status": str(status),
        "alerts": str(text.alerts(alert_rows)).strip(),
        "metrics": str(text.metrics(spans)),
        "followups": str(text.followups(followup_rows)).strip(),
        "postmortem": str(
            text.postmortem(draft.version, _clock(draft.created_at, tz, day))
            if draft
            else text.postmortem(None, None)
        ),
    }
    lines = tuple(
        (
            e.ts,
            str(
                text.timeline_line(
                    {"time": _clock(e.occurred_at, tz), "kind": e.kind.replace("_", " "), "text": e.text}
                )
            ),
        )
        for e in timeline
    )
    zone = incident.opened_at.astimezone(tz).strftime("%Z")
    return CanvasView(
        title=str(text.title(incident.channel_name)),
        intro=str(text.intro(zone)),
        headings={name: str(text.heading(name)) for name in SECTIONS},
        bodies=bodies,
        timeline=lines,
    )


def document(view: CanvasView) -> str:
    """The whole canvas, written once at creation (never again: later edits go section by section)."""
    parts = [view.intro]
    for name in SECTIONS:
        parts.append(view.headings[name])
        if name == "timeline":
            parts.extend(line for _, line in view.timeline)
        else:
            parts.append(view.bodies[name])
    return "\n\n".join(parts) + "\n"


def lookup_key(markdown: str) -> str:
    """The text `canvases.sections.lookup` finds an element we wrote by: its opening words, up to
    the first markup character (list markers dropped)."""
    text = markdown.strip().removeprefix("- ")
    cut = _MARKUP.search(text)
    return (text[: cut.start()] if cut else text)[:KEY_MAX].strip()


def pinned_text(view: CanvasView, max_lines: int = 40) -> str:
    """The fallback pinned message (Slack mrkdwn): the same sections, the latest timeline lines."""
    parts = [f"*{view.title}*"]
    for name in SECTIONS:
        parts.append("*" + view.headings[name].lstrip("# ") + "*")
        if name == "timeline":
            lines = [line for _, line in view.timeline]
            hidden = len(lines) - max_lines
            if hidden > 0:
                lines = [f"… {hidden} earlier", *lines[-max_lines:]]
            parts.append("\n".join(lines) if lines else "—")
        else:
            parts.append(view.bodies[name])
    return "\n".join(parts)
