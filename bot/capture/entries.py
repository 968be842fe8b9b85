"""From a Slack message to the values of a timeline entry (what an entry says about the incident's
record is `bot.incident_state`).

Pure: the classifier is passed in; no Slack, no database, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.capture.catalogue import ServiceCatalogue
from bot.capture.classify import Classifier
from bot.domain import NOTE, Classification
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


def classification_of(
    classifier: Classifier, message: Mapping[str, Any], services: ServiceCatalogue | None = None
) -> tuple[str, Classification]:
    """(flattened text, the classifier's whole answer, confidence included)."""
    text = flatten_message(message)
    profile = message.get("bot_profile") or {}
    result = classifier.classify(
        text,
        is_bot_message(message),
        bot_id=message.get("bot_id"),
        bot_name=message.get("username") or profile.get("name"),
        services=services,
    )
    return text, result


def entry_values(
    classifier: Classifier,
    message: Mapping[str, Any],
    *,
    channel_id: str,
    capture: str,
    now: datetime,
    services: ServiceCatalogue | None = None,
) -> dict[str, Any]:
    text, result = classification_of(classifier, message, services)
    kind, confidence = result.kind, result.confidence
    author_id, author_name, author_kind = author_of(message)
    hand_captured = capture in ("reaction", "shortcut")
    if hand_captured and kind == "other":
        kind = NOTE  # a responder said it matters, the classifier had no kind for it
        confidence = "confirmed"
    thread_ts = message.get("thread_ts")
    return {
        "channel_id": channel_id,
        "ts": message["ts"],
        "thread_ts": thread_ts if thread_ts and thread_ts != message["ts"] else None,
        "occurred_at": ts_to_datetime(message["ts"]),
        "kind": kind,
        "text": text,
        "raw": raw_of(message),
        "refs": dict(result.refs),
        "author_id": author_id,
        "author_name": author_name,
        "author_kind": author_kind,
        "source": result.source,
        "capture": capture,
        "hidden": False,
        "kind_locked": hand_captured and kind == NOTE,
        "confidence": confidence,
        "created_at": now,
    }
