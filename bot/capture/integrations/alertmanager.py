"""Prometheus Alertmanager, default Slack template (template/default.tmpl).

`slack.default.title` renders `[FIRING:2] <group label values> (<other common label values>)` or
`[RESOLVED] …`; the status is "firing" while any alert of the group fires, so a mixed group stays
`[FIRING:n]`. Custom templates often append `, RESOLVED:m` and an `*Alerts Firing:*` body.
"""

from __future__ import annotations

import re

from bot.capture import refs as R
from bot.capture.integrations.registry import Match, Message, clean, integration

TITLE = re.compile(
    r"^\W{0,8}\[(FIRING|RESOLVED)(?::\s?\d{1,6})?(?:,\s?RESOLVED:\s?\d{1,6})?\]\s{0,4}(.{0,50"
    r"0})",
    re.I,
)
_TOKEN = re.compile(r"[^\s()]{1,120}")
_NOT_LABEL = frozenset(
    {
        "critical",
        "warning",
        "info",
        "page",
        "high",
        "low",
        "error",
        "none",
        "medium",
        "major",
        "minor",
        "ticket",
        "firing",
        "resolved",
        "true",
        "false",
        "sre",
        "oncall",
    }
)
_LABEL_LINE = re.compile(
    r"^\s{0,8}[-•*]?\s{0,4}\*{0,2}(alertname|service|job|app|env|environment|grafana_fo"
    r"lder)"
    r"\*{0,2}\s{0,2}[=:]\*{0,2}\s{0,2}`?([\w.-]{1,120})`?",
    re.I | re.M,
)


def title_refs(rest: str, body: str) -> dict[str, str | None]:
    tokens = _TOKEN.findall(rest)
    labels = {m.group(1).lower(): m.group(2) for m in reversed(list(_LABEL_LINE.finditer(body)))}
    # A title with nothing but punctuation ("[FIRING:2] …") names no alert.
    alert = labels.get("alertname") or (tokens[0] if tokens and any(c.isalnum() for c in tokens[0]) else None)
    env = labels.get("env") or labels.get("environment")
    service = labels.get("service") or labels.get("app")
    folder = labels.get("grafana_folder")
    for token in tokens[1:]:
        if token == folder:
            continue  # Grafana groups by folder by default; a folder is not a service
        if env is None and R.find_environment(token) == token:
            env = token
        elif (
            service is None
            and token.lower() not in _NOT_LABEL
            and R.find_environment(token) != token
            and not any(c in token for c in ":/=")
            and not token[0].isdigit()
            and R.is_service_name(token)
        ):
            service = token
    if service is None:
        service = labels.get("job")
    if env is None:
        env = R.find_environment(body)
    return {"alert": alert, "service": service, "environment": env}


@integration("alertmanager", order=20)
def parse(msg: Message) -> Match | None:
    m = TITLE.match(msg.first_line)
    if not m:
        return None
    kind = "alert_firing" if m.group(1).upper() == "FIRING" else "alert_resolved"
    return Match(kind, "alertmanager", clean(title_refs(m.group(2), msg.text)))
