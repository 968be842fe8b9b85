"""PagerDuty's Slack integration (Slack V2 extension / PagerDuty app).

An incident is posted as `Triggered #<number> <title>` with Service / Assigned / Urgency fields and
re-posted or updated as "Acknowledged by <user>", "Resolved by <user>" (also "Escalated",
"Reassigned", which are no timeline events of their own). The incident number may carry its
account's key (`#PD-8812`): the ticket is then the key as written, `PD-8812`. A title that leads
with an alert rule's name (`PaymentsHigh5xx on payments`, as Alertmanager or Prometheus pages it)
names that alert, so the page and the alerting tool's own message are one alert in the draft.
"""

from __future__ import annotations

import re

from bot.capture.integrations.registry import Match, Message, clean, integration

# Without the vendor's name (a link label, a custom app name) the layout itself is distinctive:
# a status-led first line naming the incident number, then PagerDuty's own field titles.
_NUMBER = r"#(?:[A-Z][A-Z0-9]{0,9}-)?\d{2,9}"
_STATUS_LINE = re.compile(
    r"^\W{0,4}(?:Triggered|Acknowledged by|Resolved by|Escalated|Reassigned|Reopened)\b"
    rf"(?:.{{0,200}}{_NUMBER}|[^\n]{{0,80}}\n\W{{0,4}}{_NUMBER})"
)
# "Resolved by Alice #12345" / "Acknowledged by Bo: #PD-4480": the status sentence naming a person
# and then the incident number is the app's update line; no field is needed.
_BY_LINE = re.compile(rf"^\W{{0,4}}(?:Acknowledged|Resolved) by [^\n#]{{1,80}}?(?<![\w&]){_NUMBER}\b")
_FIELDS = re.compile(r"^(?:Service|Urgency|Assigned|Escalation Policy|Priority):", re.M)
_STATUS = re.compile(r"\b(Triggered|Acknowledged|Resolved|Escalated|Reassigned|Reopened)\b")
# `#45321` as written; with the account's key, `PD-8812` without the `#` (a ticket key, as INC-77).
_INCIDENT = re.compile(r"(?<![\w&])#(?:([A-Z][A-Z0-9]{0,9}-\d{2,9})|\d{2,9})\b")
# After the number (`[#n]`, `#n:` too), an optional `[Source]`, then a CamelCase rule name.
_ALERT_NAME = re.compile(
    rf"(?<![\w&]){_NUMBER}\]?:?\s{{1,2}}(?:\[[\w .-]{{1,40}}\]\s{{1,2}})?"
    r"([A-Z][a-z0-9]{1,30}(?:[A-Z][a-z0-9]{0,30}){1,6})\b(?![\w-])"
)
# `PaymentsHigh5xx on payments`: the service the rule's title names right after it.
_ON_SERVICE = re.compile(r"\s{1,2}on\s{1,2}([a-z][\w.-]{0,99}[a-z0-9])(?![\w-])")
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
    # Only the title of this incident's number: a later `#n` is another page's, quoted or pasted.
    alert = _ALERT_NAME.match(msg.text, incident.start()) if incident else None
    on = _ON_SERVICE.match(msg.text, alert.end()) if alert and not service else None
    return Match(
        _KINDS[status.group(1).lower()],
        "pagerduty",
        clean(
            {
                "ticket": (incident.group(1) or incident.group(0)) if incident else None,
                "service": service.group(1) if service else (on.group(1) if on else None),
                "alert": alert.group(1) if alert else None,
            }
        ),
    )
