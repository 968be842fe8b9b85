"""Atlassian Statuspage webhooks rendered for Slack (NReilingh/statuspage-slack
`private/parseNotification.js`, payload fields per Statuspage's webhook docs).

* Component update: one field titled with the component's name, its value the status in words -
  `<component>: Operational | Degraded Performance | Partial Outage | Major Outage | Under
  Maintenance`. The component is the service.
* Incident update: title `<incident name> [<status>]` and the latest update's body. Statuses:
  investigating (someone is on it: ack), identified (a finding, no event), monitoring (fix in,
  watching: mitigated), resolved; maintenance windows - scheduled, in_progress, verifying,
  completed - are no incident events.
"""

from __future__ import annotations

import re

from bot.capture.integrations.registry import Match, Message, integration

_COMPONENT = re.compile(
    r"([^\n:]{1,120}): (Operational|Degraded Performance|Partial Outage|Major Outage|Under Maintenance)"
)
_COMPONENT_KINDS = {
    "Operational": "alert_resolved",
    "Degraded Performance": "alert_firing",
    "Partial Outage": "alert_firing",
    "Major Outage": "alert_firing",
    "Under Maintenance": "other",
}
_INCIDENT = re.compile(
    r"[^\n]{1,300} \[(investigating|identified|monitoring|resolved|"
    r"scheduled|in_progress|verifying|completed)\]"
)
_INCIDENT_KINDS = {"investigating": "ack", "monitoring": "mitigated", "resolved": "resolved"}


@integration("statuspage", order=16)
def parse(msg: Message) -> Match | None:
    first = msg.first_line
    if first.endswith("]"):
        m = _INCIDENT.fullmatch(first)
        if m is not None:
            return Match(_INCIDENT_KINDS.get(m.group(1), "other"), "statuspage", {})
        return None
    if msg.text != first or ": " not in first:
        return None  # a component update is that one line and nothing else
    c = _COMPONENT.fullmatch(first)
    if c is None:
        return None
    kind = _COMPONENT_KINDS[c.group(2)]
    return Match(kind, "statuspage", {"service": c.group(1).strip()} if kind != "other" else {})
