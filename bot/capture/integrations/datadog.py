"""Datadog monitor notifications in Slack (docs: Monitors > Notifications, Slack integration).

The attachment title is `[Triggered] <monitor name>` - also `[Triggered on {host:web-1}]`,
`[P1] [Triggered] …`, `[Re-Triggered]`, `[Warn]`, `[Re-Warn]`, `[No Data]`, `[Recovered]`,
`[Warn Recovered]` - followed by the monitor message and its tags (`service:…`, `env:…`).
"""

from __future__ import annotations

import re

from bot.capture.integrations.common import strip_emphasis
from bot.capture.integrations.registry import Match, Message, clean, integration

_TITLE = re.compile(
    r"^\W{0,8}(?:\[P[1-5]\]\s{0,2})?\[(Triggered|Re-Triggered|Recovered|Warn|Re-Warn|Warn Recovered|No Data|"
    r"Re-No Data|Renotify)(?: on \{([^{}]{0,300})\})?\]\s{0,4}(.{1,300})$",
    re.I,
)
_PRIORITY = re.compile(r"^\[P[1-5]\]\s{0,2}")  # "[Triggered] [P2] name": priority after the status
_TAG = re.compile(r"\b(service|env):([\w.-]{1,100})")


@integration("datadog", order=40)
def parse(msg: Message) -> Match | None:
    m = _TITLE.match(msg.first_line)
    if not m:
        return None
    status = m.group(1).lower()
    kind = "alert_resolved" if status.endswith("recovered") else "alert_firing"
    tags: dict[str, str] = {}
    for tag in _TAG.finditer((m.group(2) or "") + "\n" + msg.text):
        tags.setdefault(tag.group(1), tag.group(2))
    return Match(
        kind,
        "datadog",
        clean(
            {
                "alert": strip_emphasis(_PRIORITY.sub("", m.group(3))),
                "service": tags.get("service"),
                "environment": tags.get("env"),
            }
        ),
    )
