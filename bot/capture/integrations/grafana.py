"""Grafana Alerting, default Slack notification (pkg/services/ngalert default templates).

Title `[FIRING:1, RESOLVED:1] <group labels> (<common labels>)`; the default message lists
`**Firing**` / `**Resolved**` sections with ` - alertname = …` label lines and `Source:` links into
`/alerting/`; the Slack notifier's footer reads "Grafana v…".
"""

from __future__ import annotations

import re

from bot.capture.integrations.alertmanager import TITLE, title_refs
from bot.capture.integrations.registry import Match, Message, clean, integration

_MARKER = re.compile(r"grafana v\d|/alerting/|\*\*firing\*\*|\*\*resolved\*\*|grafana_folder", re.I)


@integration("grafana", order=10)
def parse(msg: Message) -> Match | None:
    m = TITLE.match(msg.first_line)
    if not m or not (_MARKER.search(msg.text) or "grafana" in msg.bot_name):
        return None
    kind = "alert_firing" if m.group(1).upper() == "FIRING" else "alert_resolved"
    refs = title_refs(m.group(2), msg.text)
    service = refs.get("service")
    if service and service[0].isupper() and f"= {service}" not in msg.text:
        # Grafana groups by alertname and folder by default; a capitalised group value with no
        # `service`/`app` label line is the folder's display name ("Infra"), not a service.
        refs["service"] = None
    return Match(kind, "grafana", clean(refs))
