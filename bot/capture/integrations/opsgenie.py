"""Opsgenie's Slack app: alert created / acknowledged / closed, with `#<tinyId>: <message>`."""

from __future__ import annotations

import re

from bot.capture.integrations.registry import Match, Message, clean, integration

_MARKER = re.compile(r"opsgenie", re.I)
_ALERT = re.compile(r"(?<![\w&])(#\d{1,9}):\s{0,2}")
_CLOSED = re.compile(r"\bclosed\b", re.I)
_ACKED = re.compile(r"\backnowledged\b", re.I)
_NOISE = re.compile(r"\b(?:escalated|snoozed|assigned|added (?:a )?note|note added|unacknowledged)\b", re.I)
_NEW = re.compile(r"\b(?:new alert|created|triggered|alert raised)\b", re.I)
_SERVICE = re.compile(r"^(?:Service|Entity):\s{0,2}([\w.-]{1,100})", re.M)


@integration("opsgenie", order=70)
def parse(msg: Message) -> Match | None:
    if not (_MARKER.search(msg.text) or "opsgenie" in msg.bot_name):
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
    return Match(
        kind,
        "opsgenie",
        clean(
            {
                "ticket": alert.group(1) if alert else None,
                "service": service.group(1) if service else None,
            }
        ),
    )
