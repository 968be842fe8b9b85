"""From a Slack message to the values of a timeline entry, and what an entry says about the incident.

Pure: the classifier is passed in; no Slack, no database, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.capture.catalogue import ServiceCatalogue
from bot.capture.classify import Classifier
from bot.domain import NOTE
from bot.slack.flatten import flatten_message

# Keep the raw payload small enough for the row but complete enough to reclassify later.
_RAW_KEYS = (
    "type",
    "subtype",
    "user",
    "bot_id",
    "username",
    "text",
    "attachments",
    "blocks",
    "bot_profile",
    "thread_ts",
    "ts",
    "app_id",
)

_SEVERITY = re.compile(r"\b(SEV[-\s]?[0-5]|P[0-4])\b", re.IGNORECASE)
_IC = re.compile(
    r"\b(IC here|I'?m (the )?IC|taking (over )?(as )?IC|IC hand-?over|new IC|I'?ll be IC)\b", re.I
)


def ts_to_datetime(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), tz=UTC)


def datetime_to_ts(moment: datetime) -> str:
    return f"{moment.timestamp():.6f}"


def is_bot_message(message: Mapping[str, Any]) -> bool:
    return bool(message.get("bot_id")) or message.get("subtype") == "bot_message"


def author_of(message: Mapping[str, Any]) -> tuple[str | None, str | None, str]:
    """(author id, display name if the payload carries one, 'human'|'bot')."""
    if is_bot_message(message):
        profile = message.get("bot_profile") or {}
        name = message.get("username") or profile.get("name")
        return message.get("bot_id") or message.get("user"), name, "bot"
    profile = message.get("user_profile") or {}
    name = profile.get("display_name") or profile.get("real_name")
    return message.get("user"), name or None, "human"


def raw_of(message: Mapping[str, Any]) -> dict[str, Any]:
    return {k: message[k] for k in _RAW_KEYS if k in message}


def classify_message(
    classifier: Classifier, message: Mapping[str, Any], services: ServiceCatalogue | None = None
) -> tuple[str, str, dict[str, str], str | None]:
    """(flattened text, kind, refs, source); `services` are the names the workspace knows."""
    text = flatten_message(message)
    bot = is_bot_message(message)
    profile = message.get("bot_profile") or {}
    result = classifier.classify(
        text,
        bot,
        bot_id=message.get("bot_id"),
        bot_name=message.get("username") or profile.get("name"),
        services=services,
    )
    return text, result.kind, dict(result.refs), result.source


def entry_values(
    classifier: Classifier,
    message: Mapping[str, Any],
    *,
    channel_id: str,
    capture: str,
    now: datetime,
    services: ServiceCatalogue | None = None,
) -> dict[str, Any]:
    text, kind, refs, source = classify_message(classifier, message, services)
    author_id, author_name, author_kind = author_of(message)
    hand_captured = capture in ("reaction", "shortcut")
    if hand_captured and kind == "other":
        kind = NOTE  # a responder said it matters, the classifier had no kind for it
    thread_ts = message.get("thread_ts")
    return {
        "channel_id": channel_id,
        "ts": message["ts"],
        "thread_ts": thread_ts if thread_ts and thread_ts != message["ts"] else None,
        "occurred_at": ts_to_datetime(message["ts"]),
        "kind": kind,
        "text": text,
        "raw": raw_of(message),
        "refs": refs,
        "author_id": author_id,
        "author_name": author_name,
        "author_kind": author_kind,
        "source": source,
        "capture": capture,
        "hidden": False,
        "kind_locked": hand_captured and kind == NOTE,
        "created_at": now,
    }


def incident_changes(values: Mapping[str, Any], status: str) -> dict[str, Any]:
    """How one new entry moves the incident's own record (status, commander, severity)."""
    kind, text, author_id = values["kind"], values["text"], values["author_id"]
    changes: dict[str, Any] = {}
    if kind == "resolved" and status != "resolved":
        changes.update(status="resolved", resolved_at=values["occurred_at"], resolved_by=author_id)
    elif kind == "mitigated" and status == "open":
        changes["status"] = "mitigated"
    if values["author_kind"] == "human" and kind == "ack" and author_id and _IC.search(text):
        changes["commander_id"] = author_id
    if kind in ("decision", "note"):
        match = _SEVERITY.search(text)
        if match:
            changes["severity"] = match.group(1).upper().replace(" ", "").replace("-", "")
    return changes
