"""When to remind, whom, and when to escalate: pure functions of the item, the settings and `now`.

The storage layer keeps one column, `next_remind_at`, that says when the sweep should next look at
an item; these functions are the only place that computes it, so the cadence can be read (and
tested) here without a database or a clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain import FollowUp

UTC = ZoneInfo("UTC")

# Errors after which retrying the same DM can never succeed: the item keeps the error, is shown with
# it in `followup list`, and the sweep stops trying until the item changes (new owner, snooze…).
PERMANENT_DM_ERRORS = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "cannot_dm_bot",
        "user_disabled",
        "account_inactive",
        "user_is_bot",
        "deactivated",
        "is_archived",
        "channel_not_found",
        "not_allowed_token_type",
        "messages_tab_disabled",
        "user_is_restricted",
        "restricted_action",
    }
)

DeliveryOutcome = Literal["permanent", "rate_limited", "transient"]


def due_at(due: date, zone: ZoneInfo) -> datetime:
    """The instant an item falls due: once its due date is over (CONTRACT: "past their due date")."""
    return datetime.combine(due + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def next_remind_at(
    due: date | None,
    zone: ZoneInfo,
    *,
    status: str = "open",
    snoozed_until: datetime | None = None,
    last_reminded_at: datetime | None = None,
    repeat: timedelta = timedelta(days=1),
) -> datetime | None:
    """When the sweep should next consider the item; None = never (done, or no due date)."""
    if status != "open" or due is None:
        return None
    candidates = [due_at(due, zone)]
    if snoozed_until is not None:
        candidates.append(snoozed_until)
    if last_reminded_at is not None:
        candidates.append(last_reminded_at + repeat)
    return max(candidates)


def after_delivery(now: datetime, repeat: timedelta, snoozed_until: datetime | None = None) -> datetime:
    """A delivered reminder comes back no sooner than `repeat` later (at most once a day by default)."""
    nxt = now + repeat
    return max(nxt, snoozed_until) if snoozed_until is not None else nxt


def snooze(now: datetime, duration: timedelta) -> datetime:
    return now + duration


# --- quiet hours -----------------------------------------------------------------------------------

_QUIET = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_quiet_hours(spec: str | None) -> tuple[time, time] | None:
    """ "22:00-08:00" → (22:00, 08:00); None/empty → no quiet hours. A bad spec raises ValueError."""
    if not spec or not spec.strip():
        return None
    m = _QUIET.match(spec)
    if not m:
        raise ValueError(f"quiet hours must look like 22:00-08:00, not {spec!r}")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"quiet hours must look like 22:00-08:00, not {spec!r}")
    start, end = time(h1, m1), time(h2, m2)
    return None if start == end else (start, end)


def user_zone(tz_name: str | None, fallback: ZoneInfo) -> ZoneInfo:
    if not tz_name:
        return fallback
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def quiet_until(now: datetime, zone: ZoneInfo, quiet: tuple[time, time] | None) -> datetime | None:
    """If `now` falls in the owner's quiet hours, the UTC instant they end; else None."""
    if quiet is None:
        return None
    start, end = quiet
    local = now.astimezone(zone)
    t = local.time().replace(tzinfo=None)
    if start < end:  # same-day window, e.g. 12:00-13:00
        if start <= t < end:
            return _at(local.date(), end, zone)
        return None
    # Overnight window, e.g. 22:00-08:00.
    if t >= start:
        return _at(local.date() + timedelta(days=1), end, zone)
    if t < end:
        return _at(local.date(), end, zone)
    return None


def _at(day: date, t: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, t, tzinfo=zone).astimezone(UTC)


# --- digests ---------------------------------------------------------------------------------------

_PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def digest_order(item: FollowUp) -> tuple[date, int, int]:
    """Oldest due first, then most important: what the owner should look at first."""
    return (item.due or date.max, _PRIORITY_ORDER.get(item.priority, 1), item.id)


def group_by_owner(items: Iterable[FollowUp]) -> dict[str, list[FollowUp]]:
    """One digest per owner: owners in id order, each owner's items in `digest_order`."""
    groups: dict[str, list[FollowUp]] = {}
    for item in items:
        groups.setdefault(item.owner_id, []).append(item)
    return {owner: sorted(groups[owner], key=digest_order) for owner in sorted(groups)}


def overdue_days(due: date | None, now: datetime, zone: ZoneInfo) -> int:
    """Whole days past the due date in the display zone (0 on the due date or before it)."""
    if due is None:
        return 0
    return max(0, (now.astimezone(zone).date() - due).days)


# --- escalation and the post-mortem itself ---------------------------------------------------------


def escalation_cutoff(now: datetime, zone: ZoneInfo, after_days: int) -> date:
    """Open items due on or before this date are overdue by at least `after_days` days."""
    return now.astimezone(zone).date() - timedelta(days=after_days)


def needs_escalation(
    item: FollowUp, now: datetime, zone: ZoneInfo, after_days: int, escalated_at: datetime | None
) -> bool:
    if item.status != "open" or item.due is None or escalated_at is not None:
        return False
    if item.snoozed_until is not None and item.snoozed_until > now:
        return False
    return item.due <= escalation_cutoff(now, zone, after_days)


def escalation_target(commander_id: str | None, channel_id: str) -> tuple[Literal["dm", "channel"], str]:
    """The incident commander if known (a DM), else the incident channel."""
    return ("dm", commander_id) if commander_id else ("channel", channel_id)


@dataclass(frozen=True, slots=True)
class PostmortemWindow:
    resolved_before: datetime  # resolved at least `due_hours` ago…
    resolved_after: datetime  # …but not so long ago that a new install nags about history


def postmortem_window(
    now: datetime, due_hours: float, lookback: timedelta = timedelta(days=14)
) -> PostmortemWindow:
    return PostmortemWindow(resolved_before=now - timedelta(hours=due_hours), resolved_after=now - lookback)


def postmortem_due(
    *,
    status: str,
    resolved_at: datetime | None,
    has_draft: bool,
    reminded_at: datetime | None,
    now: datetime,
    due_hours: float,
) -> bool:
    if status != "resolved" or resolved_at is None or has_draft or reminded_at is not None:
        return False
    window = postmortem_window(now, due_hours)
    return window.resolved_after <= resolved_at <= window.resolved_before


def postmortem_target(resolved_by: str | None, channel_id: str) -> tuple[Literal["dm", "channel"], str]:
    return ("dm", resolved_by) if resolved_by else ("channel", channel_id)


# --- delivery failures -----------------------------------------------------------------------------


def classify_delivery_error(error: str | None, status: int | None) -> DeliveryOutcome:
    if status == 429 or error in ("ratelimited", "rate_limited"):
        return "rate_limited"
    if error in PERMANENT_DM_ERRORS:
        return "permanent"
    return "transient"


def owner_block_reason(user: dict[str, object] | None) -> str | None:
    """Why a DM to this users.info result can never be delivered, or None if it can be tried."""
    if user is None:
        return "user_not_found"
    if user.get("deleted"):
        return "deactivated"
    if user.get("is_bot") or user.get("id") == "USLACKBOT":
        return "cannot_dm_bot"
    return None


def short_id(item_id: int) -> str:
    return f"#{item_id}"
