"""Sentry alerts in Slack (sentry src/sentry/integrations/slack message builders).

Metric alerts: title `Critical: <rule>` / `Warning: <rule>` / `Resolved: <rule>` with a value line
("152 events in the last 10 minutes"). Issue alerts: the issue title and culprit, then
Project / Environment fields and a footer naming the short id (CHECKOUT-WEB-4F2) and the rule.
"""

from __future__ import annotations

import re

from bot.capture import refs as R
from bot.capture.integrations.common import strip_emphasis
from bot.capture.integrations.registry import Match, Message, clean, integration

# The title may follow the vendor's name on the same line or the line above ("Sentry Critical: …",
# "Sentry\nCritical: …", an author name the flattener puts first).
_METRIC = re.compile(
    r"^\W{0,8}(?:Sentry\W{0,3}\s{1,3})?(Critical|Warning|Resolved):\s{1,3}(.{1,200})$", re.I | re.M
)
_METRIC_HEAD = 120
_PROJECT = re.compile(r"^Project:\s{0,2}([\w.-]{1,100})", re.M)
_ENV = re.compile(r"^Environment:\s{0,2}([\w.-]{1,60})", re.M)
# Issue alert without the vendor's name: a `Project:` field and the footer led by the issue's short id
# (CHECKOUT-1A2 | via <rule>): the id is upper-case project words and a base-36 counter.
_FOOTER_SHORT_ID = re.compile(
    r"^\W{0,4}([A-Z][A-Z0-9]{1,20}(?:-[A-Z0-9]{1,20}){0,3}-[0-9A-Z]{1,6})(?:\s{1,3}(?:\||via\b)|\s*$)", re.M
)
_ISSUE_RESOLVED = re.compile(r"\b(?:marked as resolved|issue resolved|resolved by)\b", re.I)


def _issue_footer(text: str) -> bool:
    m = _FOOTER_SHORT_ID.search(text)
    if m is None:
        return False
    counter = m.group(1).rsplit("-", 1)[-1]
    if not any(c.isdigit() for c in counter) or R.find_sentry_short_id(m.group(1)) != m.group(1):
        return False
    # A tracker key alone on a line (OPS-1234) looks the same: Sentry's footer goes on "| via <rule>",
    # its counter is base-36 (1A2), or an Environment field sits with the Project field.
    return m.group(0).rstrip() != m.group(1) or not counter.isdigit() or "Environment:" in text


@integration("sentry", order=50)
def parse(msg: Message) -> Match | None:
    named = "sentry" in msg.lower or "sentry" in msg.bot_name
    m = _METRIC.match(msg.first_line)
    if m is None and named:
        m = _METRIC.search(msg.text, 0, _METRIC_HEAD)
    fielded = "Project:" in msg.text
    if not (named or m or fielded):
        return None  # the common case, decided without searching the whole text
    project = _PROJECT.search(msg.text) if fielded else None
    # A metric alert's `Critical:/Warning:/Resolved: <rule>` title over a `Project:` field is
    # Sentry's layout even when no footer or link names the vendor.
    if not (named or project):
        return None
    env = _ENV.search(msg.text)
    if m:
        kind = "alert_resolved" if m.group(1).lower() == "resolved" else "alert_firing"
        return Match(
            kind,
            "sentry",
            clean(
                {
                    "alert": strip_emphasis(m.group(2).strip()),
                    # No `Project:` field: the service the rule's title names ("Error rate for checkout-api").
                    "service": project.group(1) if project else R.find_service(m.group(2)),
                    "environment": env.group(1) if env else R.find_environment(msg.text),
                }
            ),
        )
    if not project and "sentry" not in msg.bot_name:
        return None
    if not named and not _issue_footer(msg.text):
        return None  # a `Project:` field alone is not Sentry's layout
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
