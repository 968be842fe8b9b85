"""The kind of a human's message (or a bot's no parser recognised) from its own words, and how sure.

Cues first, words second. The cues decide which part of a message is the writer's own new
statement: questions, `>` quotes and quoted speech, mentions of earlier events ("after the
rollback"), negated events ("we didn't roll back") and hedged or recapped clauses are set aside.
What is left is read against the phrase tables in CONTRACT.md's order, where the same cues recur
as families (modality and conditionals make decisions, first person and aspect make claims).
"""

from __future__ import annotations

import re

from bot.capture.cues import (
    LONE_ACK,
    PARENTHETICAL,
    PHRASE_CHARS,
    clause_end,
    clear_statement,
    declarative,
    labels_message,
    named_alert_cleared,
    without_negated_events,
    without_quoted_speech,
)
from bot.capture.events import CJK_RULES, RULES, UNDER_WAY
from bot.capture.guards import (
    ACK_SENSE,
    GUARD,
    HEDGE,
    MENTION,
    NOOP,
    RETRO,
    SET_ASIDE,
    SOCIAL,
    SQL,
    SQL_CASE,
)
from bot.capture.word_gate import WordGate
from bot.domain import Confidence

_OTHER: tuple[str, Confidence] = ("other", "strong")
_CJK = dict(CJK_RULES)
_RESOLVED = RULES[-1][1]
_DECISION_LABELS = (
    "decision:",
    "entscheidung:",
    "decisión:",
    "décision:",
    "décision :",
    "decisão:",
    "decided:",
)
# An event under way or intended, as against one pointed back at ("the deploy at 14:02 is when…").
_PRESENT = re.compile(r"\b(?:\w{3,}ing|now|let'?s|we'?ll|i'?ll|going to|gonna)\b")
_SENTENCE_BREAK = re.compile(r"[.!]\s")
# Most lines match no event table and no guard: one scan of the words they need rules most out.
_GATE = WordGate([*(pattern for _kind, pattern in RULES), GUARD, RETRO, SET_ASIDE])
_GUARD_BIT = 1 << len(RULES)
_RETRO_BIT = _GUARD_BIT << 1
_SET_ASIDE_BIT = _RETRO_BIT << 1


def phrase_kind(original: str) -> tuple[str, Confidence]:
    """(kind, confidence) of a message from its own words; `original` is the prose as
    `cues.normalise` leaves it. "weak" marks a guess: a bare event word inside a longer sentence with
    no clear subject or aspect, or a message whose hedge or recap only voided part of it."""
    lower = original.lower()
    if not lower:
        return _OTHER
    if lower in LONE_ACK:
        return "ack", "strong"
    text = declarative(without_quoted_speech(lower))[:PHRASE_CHARS]
    if not text:
        return _OTHER  # only questions, or only someone else's words
    if "roll" in text or "revert" in text or "deploy" in text or "release" in text or "change" in text:
        text = MENTION.sub(" ", text)
    if text.startswith(_DECISION_LABELS):
        return "decision", "strong"  # an explicit label outranks the guards ("… through the weekend")
    text = without_negated_events(text)
    partial = False
    mask = _GATE.scan(text)
    if mask & _SET_ASIDE_BIT and (kept := SET_ASIDE.sub(" ", text)) != text:
        text, mask = kept, _GATE.scan(kept)  # a ticket's or PR's state, a part of the problem fixed
    retro = RETRO.search(text) if mask & _RETRO_BIT else None
    if retro:
        # "…, which is when this started" points back at the clause before it as evidence: an event
        # there is a recap unless it is under way or intended ("rolling back 3.1.0, which is when…").
        head = text[: clause_end(text, retro.start())]
        if not _PRESENT.search(head):
            return _OTHER
        text = head
        mask = _GATE.scan(text)
    guard = GUARD.search(text) if mask & _GUARD_BIT else None
    if guard:
        # A hedge, recap or aside only voids its own clause and what follows it: "please revert
        # #3310, it broke checkout" still requests a rollback. A guard in the first clause voids all.
        cut = clause_end(text, guard.start())
        if (
            SOCIAL.search(text)
            or PARENTHETICAL.match(text, guard.end())
            or NOOP.match(text, guard.start())
            or labels_message(text, guard.start(), guard.end())
        ):
            # "the deploy, I think, caused it": the hedge governs the whole sentence; "(recap)" or a
            # closing "- for context" labels the whole message; a no-op sync is no event anywhere.
            return _OTHER
        if cut <= 0:
            # A hedge opening the message governs its sentence, not the next one: "ok I think we can
            # close this out. closing." (A recap or label governs what follows it: no such rescue.)
            after = _SENTENCE_BREAK.search(text, guard.end()) if HEDGE.match(text, guard.start()) else None
            if after is None:
                return _OTHER
            cut = after.end()
            text = text[cut:]
        else:
            text = text[:cut]
        if GUARD.search(text):
            return _OTHER
        partial = True
        mask = _GATE.scan(text)
    kind, start, end = _event_kind(original, text, mask)
    if kind == "other":
        return _OTHER
    return kind, "strong" if not partial and clear_statement(text, start, end) else "weak"


def _event_kind(original: str, text: str, mask: int) -> tuple[str, int, int]:
    """The first kind whose phrases match, and where its words are in `text` (0, 0 when unknown);
    `mask` is `_GATE.scan(text)`."""
    cjk = not text.isascii() and any(c >= "\u3000" for c in text)
    for kind, pattern in RULES:
        m = pattern.search(text) if mask & 1 else None
        mask >>= 1
        if m is None and not (cjk and _CJK[kind].search(text)):
            if kind == "alert_resolved" and named_alert_cleared(original, text):
                return kind, 0, 0
            continue
        if kind == "rollback" and (SQL_CASE.search(original) or SQL.search(text)):
            return "other", 0, 0  # a database transaction rolling back, not a release
        if kind == "decision" and SQL_CASE.search(original) and SQL.search(text):
            return "other", 0, 0  # "issues ROLLBACK when validation fails": a transaction, not a plan
        if kind == "ack" and ACK_SENSE.search(text):
            return "other", 0, 0  # TCP ACKs, Kafka acks
        start, end = m.span() if m else (0, 0)
        if kind == "decision" and m and (under_way := UNDER_WAY.search(text)) and under_way.start() <= start:
            return "deploy", under_way.start(), under_way.end()
        if kind == "mitigated" and (closing := _RESOLVED.search(text)):
            return "resolved", *closing.span()  # mitigated means "not closed"; a closing message is resolved
        return kind, start, end
    return "other", 0, 0
