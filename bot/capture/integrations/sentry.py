"""Sentry alerts in Slack (sentry src/sentry/integrations/slack message builders).

Metric alerts: title `Critical: <rule>` / `Warning: <rule>` / `Resolved: <rule>` with a value line
("152 events in the last 10 minutes"). Issue alerts: the issue title and culprit, then
Project / Environment fields and a footer naming the short id (CHECKOUT-WEB-4F2) and the rule.
"""

from __future__ import annotations

import re

from bot.capture import refs as R
from bot.capture.integrations.registry import Match, Message, clean, integration

_METRIC = re.compile(r"^\W{0,8}(Critical|Warning|Resolved):\s{1,3}(.{1,200})$")
_PROJECT = re.compile(r"^Project:\s{0,2}([\w.-]{1,100})", re.M)
_ENV = re.compile(r"^Environment:\s{0,2}([\w.-]{1,60})", re.M)
_ISSUE_RESOLVED = re.compile(r"\b(?:marked as resolved|issue resolved|resolved by)\b", re.I)


@integration("sentry", order=50)
def parse(msg: Message) -> Match | None:
    m = _METRIC.match(msg.first_line)
    named = "sentry" in msg.lower or "sentry" in msg.bot_name
    if not (named or m):
        return None  # the common case, decided without searching the whole text
    project = _PROJECT.search(msg.text) if "Project:" in msg.text else None
    # A metric alert's `Critical:/Warning:/Resolved: <rule>` title over a `Project:` field is
    # Sentry's layout even when no footer or link names the vendor.
    if not (named or project):
        return None
    env = _ENV.search(msg.text)
    if m:
        kind = "alert_resolved" if m.group(1) == "Resolved" else "alert_firing"
        return Match(
            kind,
            "sentry",
            clean(
                {
                    "alert": m.group(2).strip(),
                    "service": project.group(1) if project else None,
                    "environment": env.group(1) if env else R.find_environment(msg.text),
                }
            ),
        )
    if not project and "sentry" not in msg.bot_name:
        return None
    kind = "alert_resolved" if _ISSUE_RESOLVED.search(msg.text) else "alert_firing"
    return Match(
        kind,
        "sentry",
        clean(
            {
                "service": project.group(1) if project else None,
                "environment": env.group(1) if env else None,
                "ticket": R.find_sentry_short_id(msg.text),
            }
        ),
    )
