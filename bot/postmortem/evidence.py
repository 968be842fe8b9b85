"""Evidence: how much each captured entry can be trusted, change records, policy flags and claims.

Pure functions over `TimelineEntry` values; the definitions are written up in docs/postmortem.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain import TimelineEntry

from .text import format_duration

if TYPE_CHECKING:
    from .metrics import Alert, Metrics

# ---------------------------------------------------------------------------------------------------
# Confidence of one entry

# A person confirmed the kind (reaction, shortcut, note, or a correction that locked the kind).
CONF_HUMAN_CONFIRMED = 0.95
# An integration we recognised (Alertmanager, Argo CD…) reporting its own state change.
CONF_INTEGRATION = 0.9
# A bot message we did not recognise as a known integration.
CONF_BOT = 0.8
# A human's free text, judged by the classifier alone.
CONF_HUMAN_AUTO = 0.7
# Read back from channel history rather than the live event stream: same judgement, a little older.
BACKFILL_PENALTY = 0.05


def entry_confidence(entry: TimelineEntry) -> float:
    """How sure we are that the entry is what its kind says, from how it was captured."""
    if entry.kind_locked or entry.capture in ("reaction", "shortcut", "note"):
        return CONF_HUMAN_CONFIRMED
    if entry.author_kind == "bot":
        base = CONF_INTEGRATION if entry.source else CONF_BOT
    else:
        base = CONF_HUMAN_AUTO
    if entry.capture == "backfill":
        base -= BACKFILL_PENALTY
    return round(base, 2)


# ---------------------------------------------------------------------------------------------------
# References to entries


@dataclass(frozen=True, slots=True)
class EvidenceRef:
    """One supporting timeline entry, named the way a reader can find it in the timeline."""

    label: str  # a ref from the message (DEP-7781, an alert name…) or "message by <author>"
    ts: str  # Slack ts of the message: stable identity across drafts
    at: datetime
    kind: str
    confidence: float
    permalink: str | None = None


def entry_label(entry: TimelineEntry) -> str:
    refs = entry.refs
    for key in ("change_id", "alert", "ticket", "commit"):
        value = refs.get(key)
        if value:
            return value
    who = entry.author_name or entry.author_id or entry.source or "unknown"
    return f"{entry.kind} by {who}"


def ref_of(entry: TimelineEntry) -> EvidenceRef:
    return EvidenceRef(
        label=entry_label(entry),
        ts=entry.ts,
        at=entry.occurred_at,
        kind=entry.kind,
        confidence=entry_confidence(entry),
        permalink=entry.permalink,
    )


# ---------------------------------------------------------------------------------------------------
# Policy


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW_PART = re.compile(
    r"^\s*(?P<days>[A-Za-z*,\-]+)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)


class PolicyError(ValueError):
    """A change-window spec or policy setting that cannot be understood."""


@dataclass(frozen=True, slots=True)
class WindowRule:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time  # exclusive; an end before the start wraps past midnight

    def contains(self, local: datetime) -> bool:
        t = local.time().replace(tzinfo=None)
        if self.start <= self.end:
            return local.weekday() in self.days and self.start <= t < self.end
        # Overnight window (22:00-02:00): the part after midnight belongs to the previous day's window.
        if t >= self.start:
            return local.weekday() in self.days
        return t < self.end and (local.weekday() - 1) % 7 in self.days


@dataclass(frozen=True, slots=True)
class ChangeWindow:
    spec: str
    rules: tuple[WindowRule, ...]
    tz: tzinfo

    def contains(self, at: datetime) -> bool:
        local = at.astimezone(self.tz)
        return any(rule.contains(local) for rule in self.rules)


def _parse_days(text: str) -> frozenset[int]:
    text = text.lower()
    if text in ("*", "daily", "all", "every"):
        return frozenset(range(7))
    days: set[int] = set()
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            i, j = _day(a), _day(b)
            k = i
            while True:
                days.add(k)
                if k == j:
                    break
                k = (k + 1) % 7
        else:
            days.add(_day(part))
    return frozenset(days)


def _day(text: str) -> int:
    key = text.strip()[:3]
    if key not in _DAYS:
        raise PolicyError(f"unknown day {text.strip()!r} (use Mon…Sun)")
    return _DAYS.index(key)


def _hhmm(text: str) -> time:
    h, m = (int(x) for x in text.split(":"))
    if h == 24 and m == 0:
        return time(23, 59, 59, 999999)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise PolicyError(f"invalid time {text!r}")
    return time(h, m)


def parse_change_window(spec: str, tz: tzinfo) -> ChangeWindow:
    """`"Mon-Fri 09:00-17:00"`, several parts joined by `;` or `,` between parts, optional IANA zone last.

    Examples: `"Mon-Fri 09:00-17:00"`, `"Mon-Thu 09:00-17:00; Fri 09:00-12:00 Europe/Paris"`.
    """
    text = spec.strip()
    words = text.split()
    if words and ("/" in words[-1] or words[-1].upper() == "UTC"):
        try:
            tz = ZoneInfo(words[-1])
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise PolicyError(f"unknown time zone {words[-1]!r}") from exc
        text = " ".join(words[:-1])
    # Split into parts at ';' or at a ',' that is followed by a new day spec with its own hours.
    parts = [p for p in re.split(r";|,(?=\s*[A-Za-z*][A-Za-z*,\-]*\s+\d)", text) if p.strip()]
    if not parts:
        raise PolicyError("empty change window")
    rules = []
    for part in parts:
        m = _WINDOW_PART.match(part)
        if not m:
            raise PolicyError(
                f"cannot read change window part {part.strip()!r} (expected 'Mon-Fri 09:00-17:00')"
            )
        rules.append(WindowRule(_parse_days(m["days"]), _hhmm(m["start"]), _hhmm(m["end"])))
    return ChangeWindow(spec=spec.strip(), rules=tuple(rules), tz=tz)


@dataclass(frozen=True, slots=True)
class Policy:
    """Change policy the flags are judged against. Both parts are optional."""

    required_approvals: int = 0  # 0: only the "n/m" a change record writes itself is checked
    change_window: ChangeWindow | None = None

    @classmethod
    def from_strings(
        cls, required_approvals: int | str | None, change_window: str | None, tz: tzinfo
    ) -> Policy:
        """Build from settings (SCRIBE_REQUIRED_APPROVALS, SCRIBE_CHANGE_WINDOW); raises PolicyError."""
        if required_approvals in (None, ""):
            required = 0
        else:
            try:
                required = int(required_approvals)  # type: ignore[arg-type]
            except ValueError as exc:
                raise PolicyError(
                    f"required approvals must be a whole number, not {required_approvals!r}"
                ) from exc
            if required < 0:
                raise PolicyError("required approvals cannot be negative")
        window = parse_change_window(change_window, tz) if change_window and change_window.strip() else None
        return cls(required_approvals=required, change_window=window)


# ---------------------------------------------------------------------------------------------------
# Change records


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


@dataclass(frozen=True, slots=True)
class Change:
    """A deploy or rollback, grouped over all the messages that share its change id."""

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


# Messages about one change often omit its id ("rollback done"), or cite the deploy being reverted
# ("Initiating rollback DEP-7781" next to the tool's RB-7781 record); such messages join the most
# recent compatible change of the same kind posted within this gap.
MERGE_GAP = timedelta(minutes=30)


def _compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def extract_changes(entries: Iterable[TimelineEntry]) -> list[Change]:
    """Deploys and rollbacks in order of their first message; later messages fill in missing fields."""
    items = [e for e in entries if e.kind in ("deploy", "rollback")]
    deploy_ids = {e.refs["change_id"] for e in items if e.kind == "deploy" and e.refs.get("change_id")}
    by_id: dict[tuple[str, str], dict] = {}
    recent: dict[str, list[dict]] = {"deploy": [], "rollback": []}
    groups: list[dict] = []
    for e in items:
        refs = e.refs
        cid = refs.get("change_id")
        if e.kind == "rollback" and cid in deploy_ids:
            cid = None  # it names the deploy being reverted, not the rollback's own record
        svc, ver = refs.get("service"), refs.get("version")
        g = by_id.get((e.kind, cid)) if cid else None
        if g is None:
            for cand in reversed(recent[e.kind][-3:]):
                if (
                    e.occurred_at - cand["last"] <= MERGE_GAP
                    and _compatible(cid, cand["change_id"])
                    and _compatible(svc, cand["service"])
                    and _compatible(ver, cand["version"])
                ):
                    g = cand
                    break
        if g is None:
            g = {"kind": e.kind, "change_id": None, "service": None, "version": None, "entries": []}
            groups.append(g)
            recent[e.kind].append(g)
        g["entries"].append(e)
        g["last"] = e.occurred_at
        if cid and g["change_id"] is None:
            g["change_id"] = cid
            by_id[(e.kind, cid)] = g
        g["service"] = g["service"] or svc
        g["version"] = g["version"] or ver

    changes = []
    for g in groups:
        members: list[TimelineEntry] = g["entries"]

        def first(key: str, members: list[TimelineEntry] = members) -> str | None:
            return next((i.refs[key] for i in members if i.refs.get(key)), None)

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
        changes.append(
            Change(
                kind=g["kind"],
                change_id=g["change_id"],
                service=g["service"],
                version=g["version"],
                from_version=first("from_version"),
                environment=first("environment"),
                started_at=members[0].occurred_at,
                last_at=members[-1].occurred_at,
                refs=tuple(ref_of(i) for i in members),
                approvals=approvals,
                approvals_needed=needed,
                window_marker=marker,
                author=author or members[0].author_name,
            )
        )
    changes.sort(key=lambda c: c.started_at)
    return changes


# ---------------------------------------------------------------------------------------------------
# Policy flags


@dataclass(frozen=True, slots=True)
class Flag:
    code: str  # approvals | change_window
    change: str  # the change's label
    statement: str
    refs: tuple[EvidenceRef, ...]


def policy_flags(changes: Sequence[Change], policy: Policy) -> list[Flag]:
    """Approvals short of what is required, and forward deploys outside the change window.

    Required approvals are the larger of the configured number and the "n/m" the record writes, so
    neither a lax record nor a missing setting hides a shortfall. Rollbacks are exempt from the window
    (they are the emergency path) but not from approvals when the record states them.
    """
    flags: list[Flag] = []
    for c in changes:
        required = max(policy.required_approvals, c.approvals_needed or 0)
        if c.approvals is not None and required and c.approvals < required:
            flags.append(
                Flag(
                    "approvals",
                    c.label,
                    f"{c.label}: approvals {c.approvals}/{required} (fewer than required)",
                    (c.best_ref,),
                )
            )
        if c.kind != "deploy":
            continue
        if c.window_marker == "out_of_window":
            flags.append(
                Flag(
                    "change_window",
                    c.label,
                    f"{c.label}: deployed outside the change window "
                    "(window=out_of_window in the change record)",
                    (c.best_ref,),
                )
            )
        elif policy.change_window is not None and not policy.change_window.contains(c.started_at):
            local = c.started_at.astimezone(policy.change_window.tz)
            flags.append(
                Flag(
                    "change_window",
                    c.label,
                    f"{c.label}: deployed {local:%a %H:%M} {local.tzname()}, outside the change window "
                    f"({policy.change_window.spec})",
                    (c.best_ref,),
                )
            )
    return flags


def artifacts(entries: Iterable[TimelineEntry]) -> list[str]:
    """Change ids that a decision review needs to pull up, in order of first mention."""
    seen: dict[str, None] = {}
    for e in entries:
        cid = e.refs.get("change_id")
        if cid and cid not in seen:
            seen[cid] = None
    return list(seen)


# ---------------------------------------------------------------------------------------------------
# Claims


@dataclass(frozen=True, slots=True)
class Claim:
    id: str
    statement: str
    refs: tuple[EvidenceRef, ...]
    confidence: float

    @property
    def ref_labels(self) -> str:
        return ", ".join(dict.fromkeys(r.label for r in self.refs))

    @property
    def ref_summary(self) -> str:
        """`DEP-7781 (10:00:00Z), ALT-CPU-1042 (10:03:00Z)`: label and UTC time, to find in the timeline."""
        return ", ".join(dict.fromkeys(f"{r.label} ({r.at.astimezone(UTC):%H:%M:%S}Z)" for r in self.refs))


def claim_confidence(refs: Sequence[EvidenceRef]) -> float:
    """A claim is as strong as its weakest supporting entry."""
    return round(min(r.confidence for r in refs), 2) if refs else 0.0


def number_claims(items: Sequence[tuple[str, Sequence[EvidenceRef]]]) -> list[Claim]:
    return [
        Claim(f"CLM-{n:03d}", statement, tuple(refs), claim_confidence(refs))
        for n, (statement, refs) in enumerate(items, 1)
        if refs
    ]


def build_claims(
    changes: Sequence[Change],
    alerts: Sequence[Alert],
    metrics: Metrics,
    entries: Sequence[TimelineEntry],
) -> list[Claim]:
    """Statements a reviewer can check, each with the entries that support it.

    Only orderings and facts the timeline shows are claimed ("a deploy preceded the first alert"),
    never causes: causation is for the author to judge.
    """
    items: list[tuple[str, Sequence[EvidenceRef]]] = []
    detection = metrics.detection
    first_alert = (
        detection.ref if detection.ref is not None and detection.ref.kind == "alert_firing" else None
    )

    deploys = [c for c in changes if c.kind == "deploy"]
    rollbacks = [c for c in changes if c.kind == "rollback"]
    if first_alert is not None:
        before = [c for c in deploys if c.started_at <= first_alert.at]
        if before:
            d = before[-1]
            gap = format_duration(first_alert.at - d.started_at)
            items.append(
                (f"A deploy ({_describe(d)}) preceded the first alert by {gap}.", (d.best_ref, first_alert))
            )
        after = [c for c in deploys if c.started_at > first_alert.at]
        if after:
            names = ", ".join(_describe(c) for c in after[:5])
            items.append(
                (f"Deploys followed the first alert: {names}.", tuple(c.best_ref for c in after[:5]))
            )
    elif deploys:
        items.append(
            (
                f"Deploys were posted: {', '.join(_describe(c) for c in deploys[:5])}.",
                tuple(c.best_ref for c in deploys[:5]),
            )
        )

    fired = [a for a in alerts if a.fire_ref is not None]
    if fired:
        names = ", ".join(dict.fromkeys(a.name for a in fired[:10]))
        more = f" and {len(fired) - 10} more" if len(fired) > 10 else ""
        noun = "alert" if len(fired) == 1 else "alerts"
        items.append(
            (
                f"{len(fired)} {noun} fired during the incident: {names}{more}.",
                tuple(a.fire_ref for a in fired[:10]),
            )
        )  # type: ignore[misc]

    ack = metrics.acknowledgement
    if ack.ref is not None:
        when = (
            f" {metrics.time_to_acknowledge.text} after the first alert"
            if first_alert and metrics.time_to_acknowledge.seconds is not None
            else ""
        )
        who = ack.ref.label.split(" by ", 1)[1] if " by " in ack.ref.label else None
        items.append((f"On-call acknowledged{f' ({who})' if who else ''}{when}.", (ack.ref,)))

    for rb in rollbacks[:5]:
        target = f" to {rb.version}" if rb.version else ""
        svc = f" {rb.service}" if rb.service else ""
        items.append(
            (
                f"Rollback {rb.change_id or ''}{svc}{target} was initiated.".replace("  ", " "),
                rb.ranked_refs[:3],
            )
        )

    resolved = [a for a in alerts if a.resolve_ref is not None]
    if resolved:
        names = ", ".join(dict.fromkeys(a.name for a in resolved[:10]))
        refs = tuple(a.resolve_ref for a in resolved[:10])  # type: ignore[misc]
        if rollbacks and all(a.resolved_at >= rollbacks[0].started_at for a in resolved):  # type: ignore[operator]
            last = max(a.resolved_at for a in resolved)  # type: ignore[type-var]
            gap = format_duration(last - rollbacks[0].started_at)  # type: ignore[operator]
            items.append(
                (
                    f"Alerts resolved after the rollback ({names}), the last {gap} after it began.",
                    (rollbacks[0].best_ref, *refs),
                )
            )
        else:
            items.append((f"Alerts resolved: {names}.", refs))
    still_open = [a for a in fired if a.resolve_ref is None]
    if still_open:
        names = ", ".join(dict.fromkeys(a.name for a in still_open[:10]))
        items.append(
            (
                f"Alerts with no resolution in the timeline: {names}.",
                tuple(a.fire_ref for a in still_open[:10]),
            )
        )  # type: ignore[misc]

    if metrics.mitigation.ref is not None and metrics.mitigation.ref.kind == "mitigated":
        items.append(("Responders reported that impact stopped.", (metrics.mitigation.ref,)))
    if metrics.resolution.ref is not None:
        items.append(("The incident was declared resolved.", (metrics.resolution.ref,)))
    return number_claims(items)


def _describe(c: Change) -> str:
    parts = [p for p in (c.change_id, c.service, c.version) if p]
    return " ".join(parts) or c.kind
