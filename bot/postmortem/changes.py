"""Change records: one deploy or rollback as the draft shows it, and what its messages say about it
(approvals, change window, author, state). Which messages make up one change is `lineage`'s job."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain import TimelineEntry

from .evidence import EvidenceRef, ref_values


@dataclass(frozen=True, slots=True)
class Change:
    """A deploy or rollback of one service, grouped over all the messages about it."""

    kind: str  # deploy | rollback
    change_id: str | None
    service: str | None
    version: str | None  # new version; for a rollback, the version rolled back to
    from_version: str | None
    environment: str | None
    started_at: datetime
    last_at: datetime
    refs: tuple[EvidenceRef, ...]
    approvals: int | None = None  # approvals the change record states it has
    approvals_needed: int | None = None  # approvals the change record itself says are needed
    window_marker: str | None = None  # "out_of_window" | "in_window" when the record says so
    author: str | None = None
    state: str = "unknown"  # requested | in progress | succeeded | failed | cancelled | unknown
    reverts: str | None = None  # a rollback: the deploy id its messages name as the one reverted
    rolled_back_by: str | None = None  # a deploy: the label of the rollback paired with it

    @property
    def confidence(self) -> float:
        return max(r.confidence for r in self.refs)

    @property
    def best_ref(self) -> EvidenceRef:
        """The most trustworthy message about the change, preferring one that names its own id."""
        return max(self.refs, key=lambda r: (r.confidence, r.label == self.change_id))

    @property
    def ranked_refs(self) -> tuple[EvidenceRef, ...]:
        best = self.best_ref
        return (best, *(r for r in self.refs if r is not best))

    @property
    def label(self) -> str:
        return self.change_id or f"{self.kind} {self.service or ''} {self.version or ''}".strip()

    @property
    def status(self) -> str:
        """The state for the change table: what the messages say, and whether a rollback undid it."""
        if self.rolled_back_by:
            return f"{self.state}, rolled back ({self.rolled_back_by})"
        return self.state


@dataclass(frozen=True, slots=True)
class RecordFacts:
    approvals: int | None
    approvals_needed: int | None
    window_marker: str | None
    author: str | None
    state: str


_APPROVALS = re.compile(r"\bapprovals?\s*[:=]?\s*(\d+)\s*(?:/|of|out of)\s*(\d+)", re.IGNORECASE)
_APPROVALS_ONLY = re.compile(r"\bapprovals?\s*[:=]\s*(\d+)\b", re.IGNORECASE)
_APPROVED_N = re.compile(r"\b(\d+)\s*/\s*(\d+)\s+approv", re.IGNORECASE)
_OUT_WINDOW = re.compile(
    r"window\s*[:=]\s*out[_\- ]?(?:of[_\- ]?)?window"
    r"|\bout(?:side)?[_\- ](?:of[_\- ])?(?:the\s+)?change[_\- ]window"
    r"|window\s*[:=]\s*(?:outside|out|no|false|closed)\b",
    re.IGNORECASE,
)
_IN_WINDOW = re.compile(r"window\s*[:=]\s*(?:in[_\- ]?window|inside|in|yes|true|open)\b", re.IGNORECASE)
_AUTHOR = re.compile(r"\bauthor\s*[:=]\s*([\w.@\-]+)", re.IGNORECASE)

# A message's own word for where the change stands, most decisive first: a message that says both
# "started" and "failed" reports the failure.
_STATES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("failed", re.compile(r"\b(fail(?:ed|ure|s)?|aborted|errored)\b", re.I)),
    ("cancelled", re.compile(r"\bcancell?ed\b", re.I)),
    (
        "succeeded",
        re.compile(
            r"\b(succeeded|success(?:ful(?:ly)?)?|completed?|done|finished|deployed|rolled back|"
            r"reverted|healthy|synced|live)\b",
            re.I,
        ),
    ),
    (
        "in progress",
        re.compile(
            r"\b(start(?:ed|ing)|in progress|progressing|rolling (?:out|back)|deploying|"
            r"initiat(?:ed|ing)|running|reverting)\b",
            re.I,
        ),
    ),
    ("requested", re.compile(r"\b(request(?:ed)?|queued|pending|waiting)\b", re.I)),
)


def message_state(text: str) -> str | None:
    return next((state for state, pattern in _STATES if pattern.search(text)), None)


def record_facts(members: Sequence[TimelineEntry]) -> RecordFacts:
    """Approvals, window marker and author from the first message stating each; the state from the
    latest message that states one."""
    approvals = needed = None
    marker = author = None
    for i in members:
        text = i.text
        if approvals is None:
            m = _APPROVALS.search(text) or _APPROVED_N.search(text)
            if m:
                approvals, needed = int(m[1]), int(m[2])
            elif m2 := _APPROVALS_ONLY.search(text):
                approvals = int(m2[1])
        if marker is None:
            if _OUT_WINDOW.search(text):
                marker = "out_of_window"
            elif _IN_WINDOW.search(text):
                marker = "in_window"
        if author is None and (m3 := _AUTHOR.search(text)):
            author = m3[1]
    state = next((s for i in reversed(members) if (s := message_state(i.text))), "unknown")
    return RecordFacts(approvals, needed, marker, author or members[0].author_name, state)


def artifacts(entries: Iterable[TimelineEntry]) -> list[str]:
    """Change ids that a decision review needs to pull up, in order of first mention."""
    seen: dict[str, None] = {}
    for e in entries:
        for cid in ref_values(e.refs, "change_id"):
            seen.setdefault(cid, None)
    return list(seen)
