"""What the canvas should show, derived from the database alone (pure).

A lost or failed update is repaired by the next one because nothing here depends on what was sent
before: the updater compares this view with what it last wrote (bot/canvas/plan.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from markupsafe import Markup

from bot.domain import FollowUp, Incident, TimelineEntry
from bot.incident_state import derive_state, trusted
from bot.people import known_names
from bot.postmortem.metrics import compute_metrics, pair_alerts
from bot.postmortem.text import md_inline, wire_markdown

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


@dataclass(slots=True)
class LineMemo:
    """Timeline lines already written for one incident, by what they are made of: a long timeline
    re-derived for every update renders only its new and changed entries. Valid for one set of known
    names (a name learned later changes how mentions read, so the lines are written again)."""

    names: dict[str, str] = field(default_factory=dict)
    lines: dict[tuple[Any, ...], str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Draft:
    version: int
    created_at: datetime


def _clock(at: datetime | None, tz: tzinfo, fmt: str = "%H:%M:%S") -> str | None:
    return at.astimezone(tz).strftime(fmt) if at is not None else None


def _person(name: str | None, user_id: str | None) -> str | None:
    return name or (f"![](@{user_id})" if user_id else None)


def _writer(names: dict[str, str]) -> Any:
    """Wire-form text → one line of canvas Markdown: shown as typed (Slack's entities decoded once,
    escaped again for Markdown), a person by name when known, else as a canvas mention."""

    def mention(sigil: str, ident: str, label: str | None) -> str:
        if sigil == "#":
            return "#" + label if label else f"![](#{ident})"
        name = label or names.get(ident)
        return "@" + name if name else f"![](@{ident})"

    def write(wire: str | None, limit: int) -> Markup | None:
        if wire is None:
            return None
        return Markup(wire_markdown(md_inline(wire, limit), mention))

    return write


def canvas_view(
    incident: Incident,
    entries: Sequence[TimelineEntry],
    followups: Sequence[FollowUp],
    *,
    tz: tzinfo,
    text: Any,
    draft: Draft | None = None,
    memo: LineMemo | None = None,
) -> CanvasView:
    """`text` is the templates/live/canvas.j2 module (its macros write every visible word); `memo`
    (kept by the caller between calls for one incident) saves rendering unchanged lines again."""
    timeline = [e for e in entries if e.kind != "other"]
    # The same record and measures the draft states: weak entries are never measured or argued from.
    state = derive_state(incident, entries)
    sure = [e for e in timeline if trusted(e.confidence)]
    alerts = pair_alerts(sure)
    metrics = compute_metrics(sure, alerts, incident)
    day = "%Y-%m-%d %H:%M %Z"
    current = state.status.value or incident.status
    names = known_names(incident, entries, followups)
    write = _writer(names)
    commander = state.commander
    status = text.status(
        {
            "status": current,
            "severity": write(state.severity.value, 60),
            "commander": write(
                _person(commander.value_name or names.get(commander.value or ""), commander.value), 80
            ),
            "detected": _clock(metrics.detection.at, tz, day),
            "resolved": _clock(metrics.resolution.at, tz, day) if current == "resolved" else None,
        }
    )
    alert_rows = [
        {
            "name": write(a.name, 120),
            "service": write(a.service if isinstance(a.service, str) else ", ".join(a.service or []), 60),
            "fired": _clock(a.fired_at, tz),
            "resolved": _clock(a.resolved_at, tz),
            "said_by_person": a.said_by_person,
        }
        for a in alerts
    ]
    m = metrics
    spans = [m.time_to_acknowledge, m.time_to_mitigate, m.time_to_resolve, m.total_duration]
    followup_rows = [
        {
            "id": f.id,
            "owner": write(f.owner_name, 60) or Markup(f"![](@{f.owner_id})"),
            "description": write(f.description, 200),
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
    memo = memo if memo is not None else LineMemo()
    if memo.names != names:
        memo.names, memo.lines = dict(names), {}
    seen, lines = memo.lines, []
    fresh: dict[tuple[Any, ...], str] = {}
    for e in timeline:
        key = (e.ts, e.occurred_at, e.kind, e.text)
        line = seen.get(key)
        if line is None:
            when, kind = _clock(e.occurred_at, tz), e.kind.replace("_", " ")
            line = str(text.timeline_line({"time": when, "kind": kind, "text": write(e.text, 300)}))
        fresh[key] = line
        lines.append((e.ts, line))
    memo.lines = fresh  # only the entries still shown: the memo never outgrows the timeline
    zone = incident.opened_at.astimezone(tz).strftime("%Z")
    return CanvasView(
        title=str(text.title(incident.channel_name)),
        intro=str(text.intro(zone)),
        headings={name: str(text.heading(name)) for name in SECTIONS},
        bodies=bodies,
        timeline=tuple(lines),
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
