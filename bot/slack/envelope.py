"""What a request to /slack/events must be before Bolt sees it: signed by Slack, then shaped as Slack
shapes its payloads. A forged or malformed body gets a 4xx answer with one log line — never a
listener's traceback, nor a 500 that Slack would retry and an operator's alert would count."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slack_sdk.signature import SignatureVerifier

_TS = re.compile(r"\d{1,12}\.\d{1,9}")
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Events whose `channel` is the channel object itself, not its id.
_CHANNEL_OBJECT_EVENTS = frozenset({"channel_created", "channel_rename", "group_rename"})
_EVENT_TS_FIELDS = ("ts", "event_ts", "thread_ts", "deleted_ts")


def signed(verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]) -> bool:
    """Slack's signature over this body, made within the last five minutes (slack_sdk's check; a
    timestamp that is not a number is simply not Slack's)."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    if not timestamp.isdigit():
        return False
    try:
        text = body.decode("utf-8")  # Slack's bodies are UTF-8; slack_sdk would raise on others
    except UnicodeDecodeError:
        return False
    return verifier.is_valid(text, timestamp, headers.get("X-Slack-Signature"))


def _id(value: Any) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def _event_problem(event: Any) -> str | None:
    if not isinstance(event, dict):
        return "event is not an object"
    kind = event.get("type")
    if not isinstance(kind, str) or not kind:
        return "event has no type"
    channel = event.get("channel")
    if kind in _CHANNEL_OBJECT_EVENTS:
        if (
            not isinstance(channel, dict)
            or not _id(channel.get("id"))
            or not isinstance(channel.get("name"), str)
        ):
            return f"{kind}.channel is not a channel object"
    elif channel is not None and not (_id(channel) or (isinstance(channel, dict) and _id(channel.get("id")))):
        return "event.channel is not a channel id"
    for field in _EVENT_TS_FIELDS:
        if field in event and not (isinstance(event[field], str) and _TS.fullmatch(event[field])):
            return f"event.{field} is not a message timestamp"
    item = event.get("item")
    if item is not None and not isinstance(item, dict):
        return "event.item is not an object"
    if isinstance(item, dict) and item.get("type") == "message":
        if not _id(item.get("channel")) or not (
            isinstance(item.get("ts"), str) and _TS.fullmatch(item["ts"])
        ):
            return "event.item is not a message reference"
    for field in ("text", "user", "subtype", "bot_id", "reaction"):
        # (Every event the manifest subscribes to names its user by id, never as an object.)
        if event.get(field) is not None and not isinstance(event[field], str):
            return f"event.{field} is not a string"
    for field in ("message", "previous_message"):  # message_changed, message_deleted
        if field in event and not isinstance(event[field], dict):
            return f"event.{field} is not an object"
    return None


def _has_id(value: Any) -> bool:
    return isinstance(value, dict) and _id(value.get("id"))


def _interaction_problem(payload: dict[str, Any]) -> str | None:
    kind = payload.get("type")
    if not _has_id(payload.get("user")):
        return f"{kind} without a user"
    if kind == "block_actions":
        actions = payload.get("actions")
        if not isinstance(actions, list) or not all(
            isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions
        ):
            return "block_actions.actions is not a list of actions"
    elif kind == "message_action":
        message = payload.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("ts"), str):
            return "message_action.message is not a message"
        if not _has_id(payload.get("channel")) or not isinstance(payload.get("response_url"), str):
            return "message_action without its channel or response_url"
    return None


def problem(body: Any) -> str | None:
    """Why this parsed body is not a payload Slack sends, or None when it is one we can dispatch."""
    if not isinstance(body, dict):
        return "the body is not an object"
    kind = body.get("type")
    if kind == "event_callback":
        return _event_problem(body.get("event"))
    if kind == "url_verification":
        return None if isinstance(body.get("challenge"), str) else "url_verification without a challenge"
    if kind in ("block_actions", "message_action", "shortcut", "view_submission", "view_closed"):
        return _interaction_problem(body)
    if "command" in body:  # a slash command (form-encoded)
        for field in ("command", "channel_id", "user_id"):
            if not isinstance(body.get(field), str) or not body[field]:
                return f"slash command without {field}"
        if not isinstance(body.get("text", ""), str):
            return "slash command text is not a string"
    return None
