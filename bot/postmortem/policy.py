"""Change policy: the change window and required approvals, and the flags a change earns against it.

Pure; the settings layer builds a `Policy` (raising `PolicyError` for a spec it cannot read).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .changes import Change
from .evidence import EvidenceRef

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
