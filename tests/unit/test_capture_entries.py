"""The pure step between a Slack message and a stored entry."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.capture.classify import Classifier
from bot.capture.entries import author_of, entry_values, ts_to_datetime

NOW = datetime(2026, 2, 10, 11, 0, tzinfo=UTC)


def values(message: dict, capture: str = "auto") -> dict:
    return entry_values(Classifier(), message, channel_id="C1", capture=capture, now=NOW)


def test_ts_becomes_aware_utc() -> None:
    assert ts_to_datetime("1770717600.000100") == datetime(2026, 2, 10, 10, 0, 0, 100, tzinfo=UTC)


def test_bot_and_human_authors() -> None:
    bot = {"subtype": "bot_message", "bot_id": "B1", "username": "Alertmanager", "ts": "1.0"}
    assert author_of(bot) == ("B1", "Alertmanager", "bot")
    human = {"user": "U1", "user_profile": {"display_name": "alice"}, "ts": "1.0"}
    assert author_of(human) == ("U1", "alice", "human")


def test_thread_reply_keeps_thread_ts_but_a_parent_does_not() -> None:
    reply = values({"user": "U1", "text": "rolling back to 1.2.3", "ts": "2.0", "thread_ts": "1.0"})
    parent = values({"user": "U1", "text": "rolling back to 1.2.3", "ts": "1.0", "thread_ts": "1.0"})
    assert reply["thread_ts"] == "1.0" and parent["thread_ts"] is None
    assert reply["kind"] == "rollback" and reply["refs"]["version"] == "1.2.3"


def test_hand_captured_chatter_becomes_a_locked_note() -> None:
    row = values({"user": "U1", "text": "EU customers report blank pages", "ts": "1.0"}, capture="reaction")
    assert (row["kind"], row["kind_locked"], row["capture"]) == ("note", True, "reaction")
    auto = values({"user": "U1", "text": "EU customers report blank pages", "ts": "1.0"})
    assert (auto["kind"], auto["kind_locked"]) == ("other", False)
    assert (row["confidence"], auto["confidence"]) == ("confirmed", "strong")
