"""PagerDuty's Slack integration (Slack V2 extension / PagerDuty app).

An incident is posted as `Triggered #<number> <title>` with Service / Assigned / Urgency fields and
re-posted or updated as "Acknowledged by <user>", "Resolved by <user>" (also "Escalated",
"Reassigned", which are no timeline events of their own).
"""

from __future__ import annotations

import re

from bot.capture.integrations.registry import Match, Message, clean, integration

_MARKER = re.compile(r"pagerduty", re.I)
_STATUS = re.compile(r"\b(Triggered|Acknowledged|Resolved|Escalated|Reassigned|Reopened)\b")
_INCIDENT = re.compile(r"(?<![\w&])#\d{2,9}\b")
_SERVICE = re.compile(r"^Service:\s{0,2}([\w.-]{1,100})", re.M)
_KINDS = {
    "triggered": "alert_firing",
    "reopened": "alert_firing",
    "acknowledged": "ack",
    "resolved": "alert_resolved",
    "escalated": "other",
    "reassigned": "other",
}


@integration("pagerduty", order=60)
def parse(msg: Message) -> Match | None:
    if not (_MARKER.search(msg.text) or "pagerduty" in msg.bot_name):
        return None
    status = _STATUS.search(msg.text)
    if not status:
        return None
    incident = _INCIDENT.search(msg.text)
    service = _SERVICE.search(msg.text)
    return Match(
        _KINDS[status.group(1).lower()],
        "pagerduty",
        clean(
            {
                "ticket": incident.group(0) if incident else None,
                "service": service.group(1) if service else None,
            }
        ),
    )
