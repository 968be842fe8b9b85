"""Opsgenie's Slack app: alert created / acknowledged / closed, with `#<tinyId>: <message>`."""

from __future__ import annotations

import re

from bot.capture import refs as R
from bot.capture.integrations.registry import Match, Message, clean, integration

# The app's own sentences around `#<tinyId>:` identify it when the vendor's name is absent (the id
# on the same line or on the next, as the app's attachment puts it).
_LAYOUT = re.compile(
    r"^\W{0,4}(?:new alert created|alert closed by|[\w.@+-]{1,80} (?:acknowledged|closed|"
    r"unacknowledged|snoozed|escalated) alert|[\w.@+-]{1,80} added (?:a )?note to alert)\b"
    r"(?:[^\n]{0,80}?|[^\n]{0,80}\n\W{0,4})#\d{1,9}\b",
    re.I,
)
# `#<tinyId>: [Source] CamelCaseName …`: the alert rule's name when the message leads with one.
_ALERT_NAME = re.compile(
    r"#\d{1,9}:\s{0,2}(?:\[[\w .-]{1,40}\]\s{1,2})?([A-Z][a-z0-9]{1,30}(?:[A-Z][a-z0-9]{0,30}){1,6})\b"
)
_ALERT = re.compile(r"(?<![\w&])(#\d{1,9}):\s{0,2}")
_CLOSED = re.compile(r"\bclosed\b", re.I)
_ACKED = re.compile(r"\backnowledged\b", re.I)
_NOISE = re.compile(r"\b(?:escalated|snoozed|assigned|added (?:a )?note|note added|unacknowledged)\b", re.I)
_NEW = re.compile(r"\b(?:new alert|created|triggered|alert raised)\b", re.I)
_SERVICE = re.compile(r"^(?:Service|Entity):\s{0,2}([\w.-]{1,100})", re.M)


def _alert_line(text: str) -> str:
    """The `#<tinyId>: <message>` line: tags and priority lines name no service."""
    at = text.find("#")
    if at < 0:
        return ""
    end = text.find("\n", at)
    return text[at : end if end >= 0 else len(text)]


@integration("opsgenie", order=70)
def parse(msg: Message) -> Match | None:
    if not (
        "opsgenie" in msg.lower
        or "opsgenie" in msg.bot_name
        or ("#" in msg.text[:200] and _LAYOUT.match(msg.text))
    ):
        return None
    head = msg.text[:300]
    if _CLOSED.search(head):
        kind = "alert_resolved"
    elif _NOISE.search(head):
        kind = "other"
    elif _ACKED.search(head):
        kind = "ack"
    elif _NEW.search(head) or _ALERT.search(head):
        kind = "alert_firing"
    else:
        return None
    alert = _ALERT.search(msg.text)
    service = _SERVICE.search(msg.text)
    name = _ALERT_NAME.search(msg.text)
    return Match(
        kind,
        "opsgenie",
        clean(
            {
                "ticket": alert.group(1) if alert else None,
                "service": service.group(1) if service else R.find_service(_alert_line(msg.text)),
                "alert": name.group(1) if name else None,
            }
        ),
    )
