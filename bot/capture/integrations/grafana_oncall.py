"""Grafana OnCall Slack alert-group messages.

The alert group is posted as `#<n> <title> via <integration>` and updated in place; the status
line reads "Acknowledged by @user", "Resolved by @user" or, while open, "Firing".
"""

from __future__ import annotations

import re

from bot.capture import refs as R
from bot.capture.integrations.registry import Match, Message, clean, integration

_MARKER = re.compile(r"grafana oncall|alert group #\d|\bvia grafana (?:alerting|oncall)", re.I)
# The alert-group title `#<n> <title> via <integration>` is OnCall's own layout, whatever the
# integration is called (Alertmanager, Datadog, a webhook).
_LAYOUT = re.compile(r"^\W{0,4}#\d{1,9}:?\s{1,2}[^\n]{1,200}?\svia\s[\w .-]{1,60}$", re.M)
_GROUP = re.compile(r"(?:alert group\s{1,2})?(#\d{1,9})", re.I)
_ACK = re.compile(r"\backnowledged by\b", re.I)
_RES = re.compile(r"\bresolved (?:by|automatically)\b|\bstatus:\s{0,2}resolved", re.I)
_TITLE = re.compile(r"#\d{1,9}:?\s{1,2}([A-Z][\w.-]{1,120})")


@integration("grafana_oncall", order=30)
def parse(msg: Message) -> Match | None:
    low = msg.lower
    # `in` tests first: this parser sees every bot message, and most name no OnCall at all.
    marked = ("oncall" in low or "alert group" in low or "via grafana" in low) and _MARKER.search(msg.text)
    laid_out = "via" in msg.first_line and _LAYOUT.match(msg.first_line)
    if not (marked or "oncall" in msg.bot_name or laid_out):
        return None
    if _RES.search(msg.text):
        kind = "alert_resolved"
    elif _ACK.search(msg.text):
        kind = "ack"
    else:
        kind = "alert_firing"
    group = _GROUP.search(msg.text)
    title = _TITLE.search(msg.text)
    return Match(
        kind,
        "grafana_oncall",
        clean(
            {
                "ticket": group.group(1) if group else None,
                "alert": title.group(1) if title else None,
                "service": R.find_service(msg.text),
                "environment": R.find_environment(msg.text),
            }
        ),
    )
