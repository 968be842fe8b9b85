"""PagerDuty's Slack integration (Slack V2 extension / PagerDuty app).

An incident is posted as `Triggered #<number> <title>` with Service / Assigned / Urgency fields and
re-posted or updated as "Acknowledged by <user>", "Resolved by <user>" (also "Escalated",
"Reassigned", which are no timeline events of their own).
"""

from __future__ import annotations

import re

from bot.capture.integrations.registry import Match, Message, clean, integration

# Without the vendor's name (a link label, a custom app name) the layout itself is distinctive:
# a status-led first line naming the incident number, then PagerDuty's own field titles.
_STATUS_LINE = re.compile(
    r"^\W{0,4}(?:Triggered|Acknowledged by|Resolved by|Escalated|Reassigned|Reopened)\b"
    r"(?:.{0,200}#\d{2,9}|[^\n]{0,80}\n\W{0,4}#\d{2,9})"
)
# "Resolved by Alice #12345" / "Acknowledged by Bo #4480": the status sentence naming a person and
# then the incident number is the app's update line; no field is needed.
_BY_LINE = re.compile(r"^\W{0,4}(?:Acknowledged|Resolved) by [^\n#]{1,80}?(?<![\w&])#\d{2,9}\b")
_FIELDS = re.compile(r"^(?:Service|Urgency|Assigned|Escalation Policy|Priority):", re.M)
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
    if not (
        "pagerduty" in msg.lower
        or "pagerduty" in msg.bot_name
        or (
            "#" in msg.text
            and _STATUS_LINE.match(msg.text)
            and (_FIELDS.search(msg.text) or _BY_LINE.match(msg.text))
        )
    ):
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
