"""The kind of a human's message (or a bot's no parser recognised) from its own words."""

from __future__ import annotations

from bot.capture.cues import (
    ATTRIBUTION,
    LONE_ACK,
    PARENTHETICAL,
    PHRASE_CHARS,
    QUOTED,
    clause_end,
    declarative,
    labels_message,
    named_alert_cleared,
)
from bot.capture.events import RULES
from bot.capture.guards import GUARD, MENTION, NETWORK, NOOP, SOCIAL, SQL, SQL_CASE


def phrase_kind(original: str) -> str:
    """Kind of a message from its own words (humans, and bots no parser recognised); `original` is
    the prose as `cues.normalise` leaves it."""
    lower = original.lower()
    if not lower:
        return "other"
    if lower in LONE_ACK:
        return "ack"
    text = declarative(lower)[:PHRASE_CHARS]
    if not text:
        return "other"  # only questions
    if "roll" in text or "revert" in text or "deploy" in text or "release" in text or "change" in text:
        text = MENTION.sub(" ", text)
    if text.startswith("decision:"):
        return "decision"  # an explicit label outranks the guards ("… through the weekend")
    if '"' in text and ATTRIBUTION.search(text):
        # `"rolling back now" - that's what bob said`: quoted words are someone else's, reported.
        text = QUOTED.sub(" ", text)
    guard = GUARD.search(text)
    if guard:
        # A hedge, recap or aside only voids its own clause and what follows it: "please revert
        # #3310, it broke checkout" still requests a rollback. A guard in the first clause voids all.
        cut = clause_end(text, guard.start())
        if (
            cut <= 0
            or SOCIAL.search(text)
            or PARENTHETICAL.match(text, guard.end())
            or NOOP.match(text, guard.start())
            or labels_message(text, guard.start(), guard.end())
        ):
            # "the deploy, I think, caused it": the hedge governs the whole sentence; "(recap)" or a
            # closing "- for context" labels the whole message; a no-op sync is no event anywhere.
            return "other"
        text = text[:cut]
        if GUARD.search(text):
            return "other"
    for kind, pattern in RULES:
        if not pattern.search(text):
            if kind == "alert_resolved" and named_alert_cleared(original, text):
                return kind
            continue
        if kind == "rollback" and (SQL_CASE.search(original) or SQL.search(text)):
            return "other"  # a database transaction rolling back, not a release
        if kind == "decision" and SQL_CASE.search(original) and SQL.search(text):
            return "other"  # "issues ROLLBACK when validation fails": a transaction, not a plan
        if kind == "ack" and NETWORK.search(text):
            return "other"
        if kind == "mitigated" and RULES[-1][1].search(text):
            return "resolved"  # mitigated means "not closed"; a closing message is resolved
        return kind
    return "other"
