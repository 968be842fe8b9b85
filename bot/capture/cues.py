"""Cue detectors over a message's prose: quotes, questions, clauses, reported speech.

They say what part of a message is the writer's own statement, so the phrase tables only read that.
"""

from __future__ import annotations

import re
import unicodedata

from bot.capture.guards import LOG_LINE

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-", "\u00a0": " "})
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
# Trailing emoji codes like ":thinking_face:" after a question mark (str.rstrip: linear, unlike `[…]*$`).
_TRAILING_NOISE = " \t:abcdefghijklmnopqrstuvwxyz_+-0123456789"
# A modal opens a question only when its subject follows ("will we roll back", not "will take a look").
_QUESTION_START = re.compile(
    r"^(?:(?:should|shall|can|could|would|will|won't)\s(?:we|you|i|it|this|that|they|he|she|someone|anyone|"
    r"somebody|the|our|there)\b|(?:do|does|did)(?!\s{1,2}not\b|n'?t\b)|is|are|was|were|has|have|who|"
    r"what|when|where|why|how|which|any(?:one|body)?|isn't|aren't|doesn't|didn't|wdyt|thoughts)\b"
)

# Words an event is announced with come first; past this many characters a message is a report
# or a paste, and reading further only costs time.
PHRASE_CHARS = 1500
LONE_ACK = frozenset({":eyes:", "👀", ":eyes: :eyes:", ":eyes::eyes:", "👀👀", ":ack:", ":ack2:"})


def split_prose(text: str) -> tuple[str, str]:
    """(prose, code): fenced blocks go to code, `>` quoted lines are dropped from both."""
    if "`" not in text and ">" not in text:
        return text, ""
    pieces = text.split("```")
    prose_parts = pieces[0::2]
    code = "\n".join(pieces[1::2])
    lines: list[str] = []
    for line in "\n".join(prose_parts).splitlines():
        stripped = line.lstrip()
        if stripped.startswith(">>>"):
            break  # Slack's `>>>` quotes everything after it
        if stripped.startswith(">"):
            continue
        lines.append(line)
    return "\n".join(lines), code


def is_log_paste(prose: str) -> bool:
    lines = [ln for ln in prose.splitlines() if ln.strip()]
    if not lines:
        return False
    logs = sum(1 for ln in lines[:40] if LOG_LINE.match(ln))
    return logs >= max(1, (min(len(lines), 40) + 1) // 2)


def normalise(text: str) -> str:
    if text.isascii():  # O(1) on str; ASCII has nothing to compose and no curly quotes
        return " ".join(text.split())
    return " ".join(unicodedata.normalize("NFC", text).translate(_QUOTES).split())


def declarative(lower: str) -> str:
    """The sentences that are not questions, joined."""
    keep: list[str] = []
    split = "." in lower or "!" in lower or "?" in lower or "\n" in lower
    sentences = _SENTENCE_END.split(lower) if split else (lower,)
    for sentence in sentences:
        s = sentence.strip()
        if not s:
            continue
        tail = s.rstrip(_TRAILING_NOISE) if not s.endswith("?") else s
        if s.endswith("?") or tail.endswith("?") or _QUESTION_START.match(s):
            continue
        keep.append(s)
    return " ".join(keep)


_CLAUSE_BREAK = re.compile(
    r"[,;:]\s|[.!]\s|\s[-(]\s?|\s(?:but|and|so|although|though|until|unless|because)\s"
)


# A guard followed by a comma and more of the same sentence sits inside it as an aside.
PARENTHETICAL = re.compile(r"[^,.!;?]{0,40}, \w")


ATTRIBUTION = re.compile(
    r"\b(?:said|says|wrote|writes|quote|quoting|quoted|according to|told (?:me|us|them)|claims?|claimed)\b"
)
QUOTED = re.compile(r'"[^"]{1,300}"')
# A quoted name is no speech: `Pipeline "Rollback checkout prod" #881 succeeded`, the job "Deploy api".
_NAMED = re.compile(r"\b(?:pipeline|job|workflow|stage|step|build|task|run|action)s?\s{1,2}$")


def without_quoted_speech(text: str) -> str:
    """The text with other people's words taken out: every quoted span when the message attributes
    it ("that's what bob said"), otherwise quoted spans of three words or more (a sentence relayed
    or drafted, not an alert name like "Checkout 5xx", nor a pipeline's or job's name)."""
    if '"' not in text:
        return text
    if ATTRIBUTION.search(text):
        return QUOTED.sub(" ", text)
    return QUOTED.sub(
        lambda m: (
            " "
            if m.group(0).count(" ") >= 2 and not _NAMED.search(text, max(0, m.start() - 14), m.start())
            else m.group(0)
        ),
        text,
    )


# An event negated in the past or not yet happened ("we didn't roll back", "haven't deployed yet"):
# that clause states no event. (A ruled-out future action is a decision: events.RULES.)
_NEGATED_EVENT = re.compile(
    r"\b(?:didn'?t|did not|haven'?t|have not|hasn'?t|has not|hadn'?t|had not|wasn'?t|was not|weren'?t|"
    r"were not|never|not yet)\s(?:\w+\s){0,2}?(?:roll(?:ed)? ?-?back|rolled|revert(?:ed)?|deploy(?:ed)?|"
    r"releas(?:e|ed)|ship(?:ped)?|promot(?:e|ed)|fail(?:ed)? ?over|restart(?:ed)?|resolved|mitigated|"
    r"recovered|fir(?:e|ed))\b|"
    # Nobody did it: a past event denied, not a hold ("nobody deployed anything today").
    r"\b(?:nobody|no one|noone) (?:has )?(?:deployed|rolled back|shipped|released|reverted|touched|changed)\b|"
    # An outcome denied: "not mitigated yet, errors still at 12%".
    r"\b(?:not|isn'?t|is not|aren'?t|are not)\s(?:yet\s|fully\s|quite\s|really\s|completely\s)?(?:mitigated|resolved|"
    r"recovered|fixed|stable|over|back to normal|out of the woods)\b"
)


def without_negated_events(text: str) -> str:
    """The text without the clauses that negate an event."""
    if "n't" not in text and "no" not in text and "never" not in text:  # "no" covers not, nobody, no one
        return text
    while m := _NEGATED_EVENT.search(text):
        start = clause_end(text, m.start())
        after = _CLAUSE_BREAK.search(text, m.end())
        text = text[:start] + " " + (text[after.start() :] if after else "")
    return text


# Cues that make a match a clear statement rather than a guess: who speaks (first person, or an
# imperative plan), aspect (done, in progress, now), or a label ("status: …").
_CLEAR = re.compile(
    r"\b(?:i|i'm|im|i've|i'll|we|we're|we've|we'll|let's|lets|my|our|us|"
    r"now|just|done|complete|completed|finished|started|starting|underway|in progress|again|already)\b|"
    r"^\w{1,20}:\s"
)
# Past this many words a bare event word without one of those cues may be a word in passing.
_TERSE_WORDS = 3
# Verb endings that carry aspect (done, in progress), English and Romance.
_ASPECT = ("ed", "ing", "'d", "ndo", "ado", "ido")


def clear_statement(text: str, start: int, end: int) -> bool:
    """Whether the event words at text[start:end] are the writer's clear claim. A phrase ("is down",
    "rolled back to") or a verb carrying its aspect ("reverted", "deploying") is; a bare event word
    ("the deploy bot is slow today") is only when the line is terse, the word or a verb with its
    aspect opens the clause (the on-call's elided "I": "rollback for payments", "cancelled the
    deploy"), or the sentence has a first person or an aspect marker."""
    words = text[start:end].strip()
    clause = clause_end(text, start + 1)
    opener = text[clause : clause + 30].lstrip(" ,;:.!-(").split(" ", 1)[0]
    return (
        " " in words
        or words.endswith(_ASPECT)
        or text.count(" ") < _TERSE_WORDS
        or clause >= start - 2
        or opener.endswith(_ASPECT)  # "cancelled the deploy", "haciendo rollback"
        or _CLEAR.search(text) is not None
    )


def labels_message(text: str, start: int, end: int) -> bool:
    """A guard alone in brackets ("… (recap)", "[fyi]") or closing the message after a dash labels it all."""
    before = text[max(0, start - 3) : start].rstrip()
    if before.endswith(("(", "[")):
        return text[end : end + 3].lstrip().startswith((")", "]"))  # "(recap)", not "(I think v1.4.2)"
    return before.endswith("-") and end >= len(text.rstrip(" .!)]"))


def clause_end(text: str, before: int) -> int:
    """Where the last clause that ends before `before` ends (0 when there is none)."""
    end = 0
    for m in _CLAUSE_BREAK.finditer(text, 0, before):
        end = m.start()
    return end


# "TargetDown resolved": an alert's CamelCase name is what makes "resolved" the alert's, not the
# incident's. Needs the original case, so it runs on the message as written.
_NAMED_ALERT_OK = re.compile(
    r"\b[A-Z][a-z0-9]{1,30}(?:[A-Z][a-z0-9]{0,30}){1,6}\b(?: alert| monitor)?"
    r"(?: on [\w.-]{1,40})?(?: has| is| was)?(?: now| just)?"
    r" (?:cleared|resolved|recovered|auto-?resolved|stopped firing|back to (?:ok|OK)|(?:ok|OK) again)\b"
)


_NAMED_ALERT_WORDS = ("resolved", "cleared", "recovered", "to ok", "ok again", "stopped firing")


def named_alert_cleared(original: str, text: str) -> bool:
    if not any(word in text for word in _NAMED_ALERT_WORDS):
        return False
    m = _NAMED_ALERT_OK.search(original, 0, PHRASE_CHARS)
    return m is not None and m.group(0).lower() in text
