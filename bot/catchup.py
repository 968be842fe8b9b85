"""`/postmortem catchup`: what someone joining late needs, from the stored timeline only (pure).

Short enough to read in 20 seconds: the incident's state, the last few key events, what is still
firing, the latest decisions and the open follow-ups, each list capped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from markupsafe import Markup
from slack_sdk.models.blocks import ContextBlock, DividerBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.domain import FollowUp, Incident, TimelineEntry
from bot.incident_state import derive_state, trusted
from bot.people import known_names
from bot.postmortem.metrics import compute_metrics, format_duration, pair_alerts
from bot.postmortem.text import mrkdwn_line, mrkdwn_plain, slack_escape, truncate

KEY_KINDS = frozenset(
    {"alert_firing", "alert_resolved", "deploy", "rollback", "ack", "mitigated", "resolved", "decision"}
    | {"note"}
)
EVENTS, DECISIONS, FOLLOWUPS = 6, 3, 5
TEXT_MAX = 140


def _line(wire: str) -> Markup:
    """Text a person wrote (Slack's wire form, already mrkdwn) on one capped line."""
    return mrkdwn_line(wire, TEXT_MAX)


def _mention(user_id: str, names: dict[str, str]) -> Markup:
    """A person as Slack marks them up, named when the record knows the name."""
    name = names.get(user_id)
    return Markup(f"<@{user_id}|{slack_escape(name)}>" if name else f"<@{user_id}>")


def _plain(text: str) -> Markup:
    """A value the bot derived (an alert or service name) on one capped line."""
    return mrkdwn_plain(truncate(" ".join(text.split()), TEXT_MAX))


def catchup_blocks(
    incident: Incident,
    entries: Sequence[TimelineEntry],
    followups: Sequence[FollowUp],
    *,
    now: datetime,
    tz: tzinfo,
    text: Any,
) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, Block Kit blocks). `text` is the templates/live/catchup.j2 module."""
    timeline = [e for e in entries if e.kind != "other"]
    # The same record and measures the draft states: weak entries are never measured or argued from.
    state = derive_state(incident, entries)
    sure = [e for e in timeline if trusted(e.confidence)]
    alerts = pair_alerts(sure)
    metrics = compute_metrics(sure, alerts, incident)
    detected = metrics.detection.at
    clock = "%H:%M"
    severity, commander = state.severity.value, state.commander.value
    names = known_names(incident, entries, followups)
    if commander and state.commander.value_name:
        names[commander] = state.commander.value_name

    summary = text.summary(
        {
            "status": state.status.value or incident.status,
            "severity": mrkdwn_plain(severity) if severity else None,
            "commander": _mention(commander, names) if commander else None,
            "detected": detected.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if detected else None,
            "since": format_duration(now - detected) if detected and now >= detected else None,
        }
    )
    events = [
        {
            "time": e.occurred_at.astimezone(tz).strftime(clock),
            "kind": e.kind.replace("_", " "),
            "text": _line(e.text),
        }
        for e in [e for e in timeline if e.kind in KEY_KINDS][-EVENTS:]
    ]
    firing = [
        {
            "name": _plain(a.name),
            "service": _plain(a.service if isinstance(a.service, str) else ", ".join(a.service or []))
            or None,
            "fired": a.fired_at.astimezone(tz).strftime(clock) if a.fired_at else "?",
            # Firing by its tool's account, though a person said it resolved.
            "said_resolved": a.resolved_at.astimezone(tz).strftime(clock)
            if a.said_by_person and a.resolved_at
            else None,
        }
        for a in alerts
        if a.resolved_at is None or a.said_by_person
    ]
    decisions = [
        {"time": e.occurred_at.astimezone(tz).strftime(clock), "text": _line(e.text)}
        for e in [e for e in timeline if e.kind == "decision"][-DECISIONS:]
    ]
    open_items = [f for f in followups if f.status == "open"]
    items = [
        {
            "id": f.id,
            "owner": _mention(f.owner_id, names),
            "description": _line(f.description),
            "due": f.due.isoformat() if f.due else None,
        }
        for f in open_items[:FOLLOWUPS]
    ]
    blocks = [
        HeaderBlock(text=str(text.header(incident.channel_name))[:150]),
        SectionBlock(text=MarkdownTextObject(text=str(summary))),
        DividerBlock(),
        SectionBlock(text=MarkdownTextObject(text=str(text.events(events)).strip())),
        SectionBlock(text=MarkdownTextObject(text=str(text.alerts(firing)).strip())),
        SectionBlock(text=MarkdownTextObject(text=str(text.decisions(decisions)).strip())),
        SectionBlock(
            text=MarkdownTextObject(text=str(text.followups(items, len(open_items) - len(items))).strip())
        ),
        ContextBlock(elements=[MarkdownTextObject(text=str(text.footer()))]),
    ]
    fallback = f"Catch-up on #{incident.channel_name}: {state.status.value or incident.status}"
    return fallback, [b.to_dict() for b in blocks]
