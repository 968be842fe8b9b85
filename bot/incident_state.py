"""The incident's own record — status, commander, severity — and where each value came from.

Pure: plain data in, plain data out. Two sources, in order of trust:
1. a person said it with `/postmortem status|ic|severity` (stored on the incident as who and when);
2. the timeline: only entries the bot is not unsure of (confidence other than "weak") —
   status from `mitigated`/`resolved` entries, commander from a first-person claim or a hand-over
   that mentions the new commander, severity from a decision or note naming one.
An explicit command always wins; nothing else in chat moves the record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.domain import Incident, TimelineEntry

STATUSES: tuple[str, ...] = ("open", "mitigated", "resolved")
# A mention as Slack writes it: `<@U123>` in messages, `<@U123|name>` in escaped command text.
MENTION = r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>"
_MENTION_ONLY = re.compile(rf"^{MENTION}$")
_IC = r"(?:the\s+)?(?:ic|incident\s+commander|incident\s+command|commander)\b"
# Hand-overs name the new commander: the mentioned user, never the poster.
_HANDOVER = re.compile(
    "|".join(
        (
            rf"{MENTION}\s*(?:is|'s)\s+(?:now\s+)?{_IC}",
            rf"{MENTION}\s*(?:is\s+)?(?:now\s+)?(?:taking|takes|has|will\s+take)\s+(?:over\s+)?(?:as\s+)?{_IC}",
            rf"{MENTION}\s*,?\s*you(?:'re|\s+are)\s+(?:now\s+)?{_IC}",
            rf"\b(?:hand(?:ing|ed)?|pass(?:ing|ed)?|giv(?:e|ing)|gave)\s+(?:over\s+|off\s+)?{_IC}\s*"
            rf"(?:role\s+)?(?:over\s+)?to\s+{MENTION}",
            rf"\bnew\s+{_IC}\s*(?:is\s*|:\s*|=\s*|-\s*)(?:now\s+)?{MENTION}",
            rf"\b{_IC}\s+is\s+(?:now\s+)?{MENTION}",
        )
    ),
    re.IGNORECASE,
)
# A first-person claim makes the poster commander; "who is IC?" or "is she taking IC" do not.
_LEAD = r"(?:^\s*|[.!;,:]\s*|\b(?:ok|okay|alright|fine)\s*,?\s+)"
_CLAIM = re.compile(
    rf"{_LEAD}(?:i'?m\s+|i\s+am\s+|i'?ll\s+be\s+|i\s+will\s+be\s+)?taking\s+(?:over\s+)?(?:as\s+)?{_IC}"
    rf"|{_LEAD}(?:ic|incident\s+commander)\s+here\b"
    rf"|\b(?:i'?m|i\s+am|i'?ll\s+be|i\s+will\s+be)\s+(?:now\s+)?{_IC}"
    rf"|\bi'?ll\s+take\s+(?:over\s+)?(?:as\s+)?{_IC}",
    re.IGNORECASE,
)
# A claim or hand-over on a condition is a plan, not an act: "I'll take IC if nobody else does", "if
# nobody else does, I'll take IC", "I'll be IC unless someone wants it", "<@U1> is IC if I drop". A
# condition after a claim in the present is a courtesy ("IC here unless someone objects", "taking IC
# if that's ok"): only an offer ("I'll …") waits on it, as the classifier reads them (`ack` against
# `decision`). An "if" after a comma remarks on what was said ("IC here, ping me if anything changes").
_OFFER = re.compile(r"'ll\b|\bwill\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?;\n]")
_CONDITION_BEFORE = re.compile(r"\b(?:if|unless|in case|should (?:no ?one|nobody|anyone))\b", re.IGNORECASE)
_CONDITION_AFTER = re.compile(
    r"^[^,:]*?\b(?:if|as long as|provided|assuming|(?:should|in case) (?:no ?one|nobody|anyone))\b"
    r"|\bunless\b",
    re.IGNORECASE,
)
_SEVERITY_CHAT = re.compile(r"\b(SEV[-\s]?[0-5]|P[0-4])\b", re.IGNORECASE)
_SEVERITY_COMMAND = re.compile(r"^(?:SEV[1-5]|P[0-4])$", re.IGNORECASE)

# Kinds whose entries can say something about the record (a claim or hand-over of command is an
# `ack` in the timeline vocabulary; a decision or note may name a commander or a severity too).
STATUS_KINDS = frozenset({"mitigated", "resolved"})
SEVERITY_KINDS = frozenset({"decision", "note"})
COMMANDER_KINDS = frozenset({"ack", "decision", "note"})
MOVER_KINDS = STATUS_KINDS | SEVERITY_KINDS | COMMANDER_KINDS


# -- command values ------------------------------------------------------------------------------


def parse_status(word: str) -> str | None:
    value = word.strip().lower()
    return value if value in STATUSES else None


def parse_severity(word: str) -> str | None:
    value = word.strip()
    return value.upper() if _SEVERITY_COMMAND.match(value) else None


def parse_mention(word: str) -> tuple[str, str | None] | None:
    """(user id, name if Slack wrote one) for a lone `<@U123|name>`; None for anything else."""
    m = _MENTION_ONLY.match(word.strip())
    return (m.group(1), m.group(2) or None) if m else None


# -- what one entry says -------------------------------------------------------------------------


def trusted(confidence: str) -> bool:
    """Entries the bot is unsure of never move the record."""
    return confidence != "weak"


def commander_from_text(text: str, author_id: str | None) -> tuple[str, str | None] | None:
    """(user id, name if written) that a human message makes commander, or None. A question names
    nobody: "is <@U1> IC now?" is not a hand-over."""
    if "?" in text:
        return None
    for m in _HANDOVER.finditer(text):
        if _conditional(text, m, offer=True):
            continue
        groups = m.groups()
        for i in range(0, len(groups), 2):
            if groups[i]:
                return groups[i], groups[i + 1] or None
    if author_id and any(
        not _conditional(text, m, _OFFER.search(m.group(0)) is not None) for m in _CLAIM.finditer(text)
    ):
        return author_id, None
    return None


def _conditional(text: str, m: re.Match[str], offer: bool) -> bool:
    """Whether the claim or hand-over `m` is made on a condition in its own sentence: one before it,
    or, for an offer, one after it."""
    start = max((e.end() for e in _SENTENCE_END.finditer(text, 0, m.start())), default=0)
    end_match = _SENTENCE_END.search(text, m.end())
    end = end_match.start() if end_match else len(text)
    before = _CONDITION_BEFORE.search(text, start, m.start())
    return bool(before or (offer and _CONDITION_AFTER.search(text[m.end() : end])))


def severity_from_text(text: str) -> str | None:
    m = _SEVERITY_CHAT.search(text)
    return m.group(1).upper().replace(" ", "").replace("-", "") if m else None


def entry_commander(entry: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """The commander a new entry names, from the row values of `bot.capture.entries.entry_values`."""
    if entry.get("author_kind") != "human" or entry.get("kind") not in COMMANDER_KINDS:
        return None
    if not trusted(entry.get("confidence", "strong")):
        return None
    return commander_from_text(entry.get("text") or "", entry.get("author_id"))


def incident_changes(values: Mapping[str, Any], status: str, locked: Iterable[str] = ()) -> dict[str, Any]:
    """How one new entry moves the incident row: only fields no person has set (`locked`)."""
    locked = frozenset(locked)
    kind = values["kind"]
    changes: dict[str, Any] = {}
    if not trusted(values.get("confidence", "strong")):
        return changes
    if "status" not in locked:
        if kind == "resolved" and status != "resolved":
            changes.update(
                status="resolved", resolved_at=values["occurred_at"], resolved_by=values["author_id"]
            )
        elif kind == "mitigated" and status == "open":
            changes["status"] = "mitigated"
    if "commander" not in locked:
        found = entry_commander(values)
        if found:
            poster = found[0] == values.get("author_id")
            changes.update(
                commander_id=found[0],
                commander_name=found[1] or (values.get("author_name") if poster else None),
            )
    if "severity" not in locked and kind in SEVERITY_KINDS:
        severity = severity_from_text(values.get("text") or "")
        if severity:
            changes["severity"] = severity
    return changes


# -- the whole record, with provenance -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fact:
    """One value of the record and where it came from.

    `via`: "command" (a person ran `/postmortem …`: `by` is who, `at` when), "chat" (inferred
    from the entry at `at`, of kind `kind`, by `by`), or "unknown" (nothing says)."""

    value: str | None
    via: Literal["command", "chat", "unknown"]
    at: datetime | None = None
    by: str | None = None  # user id
    by_name: str | None = None
    kind: str | None = None
    value_name: str | None = None  # the commander's display name when known


UNKNOWN = Fact(None, "unknown")


@dataclass(frozen=True, slots=True)
class IncidentState:
    status: Fact
    commander: Fact
    severity: Fact
    resolved_at: datetime | None


def derive_state(incident: Incident, entries: Sequence[TimelineEntry]) -> IncidentState:
    """The record as the draft states it: a command's value (a field with `<field>_set_by`), else
    what trusted entries say; the row's own inferred values are not used, the entries are."""
    ordered = sorted(entries, key=lambda e: (e.occurred_at, e.ts))
    names = {e.author_id: e.author_name for e in ordered if e.author_id and e.author_name}
    live = [e for e in ordered if trusted(e.confidence)]

    status, resolved_at = _status(incident, live, names)
    if incident.commander_set_by and incident.commander_id:
        commander = Fact(
            incident.commander_id, "command", incident.commander_set_at, incident.commander_set_by,
            names.get(incident.commander_set_by),
            value_name=incident.commander_name or names.get(incident.commander_id),
        )  # fmt: skip
    else:
        commander = UNKNOWN
        for e in live:
            found = entry_commander(_values(e))
            if found:
                # A name as written in the mention, as a responder posted it, or as looked up for the row.
                stored = incident.commander_name if incident.commander_id == found[0] else None
                name = found[1] or names.get(found[0]) or stored
                commander = _inferred(e, found[0], names, value_name=name)
    if incident.severity_set_by and incident.severity:
        severity = Fact(
            incident.severity, "command", incident.severity_set_at, incident.severity_set_by,
            names.get(incident.severity_set_by),
        )  # fmt: skip
    else:
        severity = UNKNOWN
        for e in live:
            if e.kind in SEVERITY_KINDS and (found_severity := severity_from_text(e.text)):
                severity = _inferred(e, found_severity, names)
    return IncidentState(status, commander, severity, resolved_at)


def _status(
    incident: Incident, live: Sequence[TimelineEntry], names: Mapping[str, str]
) -> tuple[Fact, datetime | None]:
    if incident.status_set_by:
        by = incident.status_set_by
        fact = Fact(incident.status, "command", incident.status_set_at, by, names.get(by))
        return fact, incident.resolved_at if incident.status == "resolved" else None
    # The first entry that reached a state moved the record there; resolved outranks mitigated.
    for kind in ("resolved", "mitigated"):
        first = next((e for e in live if e.kind == kind), None)
        if first is not None:
            return _inferred(first, kind, names), first.occurred_at if kind == "resolved" else None
    return Fact("open", "unknown"), None


def _inferred(e: TimelineEntry, value: str, names: Mapping[str, str], value_name: str | None = None) -> Fact:
    by_name = names.get(e.author_id or "") or e.author_name
    return Fact(value, "chat", e.occurred_at, e.author_id, by_name, e.kind, value_name)


def _values(e: TimelineEntry) -> dict[str, Any]:
    return {
        "kind": e.kind,
        "text": e.text,
        "author_id": e.author_id,
        "author_kind": e.author_kind,
        "confidence": e.confidence,
    }


def row_changes(state: IncidentState) -> dict[str, Any]:
    """The incident row's inferred columns for a derived state (after a correction or reclassify);
    fields a person set keep what the command wrote."""
    changes: dict[str, Any] = {}
    if state.status.via != "command":
        resolved = state.status.value == "resolved"
        changes.update(
            status=state.status.value or "open",
            resolved_at=state.resolved_at,
            resolved_by=state.status.by if resolved else None,
        )
    if state.commander.via != "command":
        changes.update(commander_id=state.commander.value, commander_name=state.commander.value_name)
    if state.severity.via != "command":
        changes["severity"] = state.severity.value
    return changes
