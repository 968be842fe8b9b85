from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import FollowUp
from bot.followups import policy

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ZONE = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")


def item(id: int = 1, owner: str = "UA", due: date | None = date(2026, 11, 22), **kw: object) -> FollowUp:
    return FollowUp(
        id=id,
        channel_id="C1",
        owner_id=owner,
        description=f"item {id}",
        created_by="UC",
        created_at=NOW - timedelta(days=5),
        due=due,
        **kw,  # type: ignore[arg-type]
    )


def test_item_falls_due_when_its_due_date_is_over() -> None:
    assert policy.due_at(date(2026, 11, 22), ZONE) == datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    # In Berlin, the 22nd ends at 23:00 UTC.
    assert policy.due_at(date(2026, 11, 22), BERLIN) == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)


def test_next_remind_at() -> None:
    due = date(2026, 11, 22)
    assert policy.next_remind_at(None, ZONE) is None
    assert policy.next_remind_at(due, ZONE, status="done") is None
    assert policy.next_remind_at(due, ZONE) == datetime(2026, 11, 23, tzinfo=UTC)
    snoozed = NOW + timedelta(days=1)
    assert policy.next_remind_at(due, ZONE, snoozed_until=snoozed) == snoozed
    assert policy.next_remind_at(due, ZONE, last_reminded_at=NOW) == NOW + timedelta(days=1)
    # Snoozing an item that is not due yet does not bring it forward.
    far = date(2026, 12, 20)
    assert policy.next_remind_at(far, ZONE, snoozed_until=snoozed) == datetime(2026, 12, 21, tzinfo=UTC)


def test_after_delivery_waits_a_day_and_respects_snooze() -> None:
    assert policy.after_delivery(NOW, timedelta(hours=24)) == NOW + timedelta(days=1)
    later = NOW + timedelta(days=7)
    assert policy.after_delivery(NOW, timedelta(hours=24), later) == later


def test_at_most_once_per_calendar_day() -> None:
    # Two deliveries spaced by `after_delivery` never share a calendar day, whatever the start time.
    for minute in range(0, 24 * 60, 37):
        first = datetime(2026, 11, 23, tzinfo=UTC) + timedelta(minutes=minute)
        second = policy.after_delivery(first, timedelta(hours=24))
        assert second.date() != first.date()


def test_parse_quiet_hours() -> None:
    assert policy.parse_quiet_hours(None) is None
    assert policy.parse_quiet_hours("") is None
    assert policy.parse_quiet_hours("22:00-08:00") == (time(22), time(8))
    assert policy.parse_quiet_hours(" 9:30 - 10:00 ") == (time(9, 30), time(10))
    for bad in ("22-08", "25:00-08:00", "nonsense"):
        with pytest.raises(ValueError):
            policy.parse_quiet_hours(bad)


def test_quiet_until_overnight_window_in_owner_zone() -> None:
    quiet = (time(22), time(8))
    # 10:00 UTC is 11:00 in Berlin: not quiet.
    assert policy.quiet_until(NOW, BERLIN, quiet) is None
    # 22:30 UTC = 23:30 Berlin → quiet until 08:00 Berlin next day = 07:00 UTC.
    late = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)
    assert policy.quiet_until(late, BERLIN, quiet) == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    # 05:00 UTC = 06:00 Berlin → quiet until 07:00 UTC the same day.
    early = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    assert policy.quiet_until(early, BERLIN, quiet) == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert policy.quiet_until(NOW, ZONE, None) is None


def test_quiet_until_same_day_window() -> None:
    quiet = (time(12), time(13))
    noon = datetime(2026, 11, 23, 12, 15, tzinfo=UTC)
    assert policy.quiet_until(noon, ZONE, quiet) == datetime(2026, 11, 23, 13, tzinfo=UTC)
    assert policy.quiet_until(NOW, ZONE, quiet) is None


def test_user_zone_falls_back() -> None:
    assert policy.user_zone("Europe/Berlin", ZONE) == BERLIN
    assert policy.user_zone(None, ZONE) == ZONE
    assert policy.user_zone("Mars/Olympus", ZONE) == ZONE


def test_group_by_owner_makes_one_digest_per_owner_oldest_first() -> None:
    items = [
        item(1, "UB", date(2026, 11, 20)),
        item(2, "UA", date(2026, 11, 21), priority="low"),
        item(3, "UA", date(2026, 11, 21), priority="high"),
        item(4, "UA", date(2026, 11, 19)),
    ]
    groups = policy.group_by_owner(items)
    assert list(groups) == ["UA", "UB"]
    assert [i.id for i in groups["UA"]] == [4, 3, 2]
    assert [i.id for i in groups["UB"]] == [1]


def test_escalation() -> None:
    assert policy.escalation_cutoff(NOW, ZONE, 3) == date(2026, 11, 20)
    assert policy.needs_escalation(item(due=date(2026, 11, 20)), NOW, ZONE, 3, None)
    assert not policy.needs_escalation(item(due=date(2026, 11, 21)), NOW, ZONE, 3, None)
    assert not policy.needs_escalation(item(due=date(2026, 11, 1)), NOW, ZONE, 3, NOW)  # once
    assert not policy.needs_escalation(item(due=date(2026, 11, 1), status="done"), NOW, ZONE, 3, None)
    snoozed = item(due=date(2026, 11, 1), snoozed_until=NOW + timedelta(hours=1))
    assert not policy.needs_escalation(snoozed, NOW, ZONE, 3, None)
    assert policy.escalation_target("UIC", "C1") == ("dm", "UIC")
    assert policy.escalation_target(None, "C1") == ("channel", "C1")


def test_overdue_days() -> None:
    assert policy.overdue_days(date(2026, 11, 20), NOW, ZONE) == 3
    assert policy.overdue_days(date(2026, 11, 30), NOW, ZONE) == 0
    assert policy.overdue_days(None, NOW, ZONE) == 0


def test_postmortem_due() -> None:
    base = {"status": "resolved", "has_draft": False, "reminded_at": None, "now": NOW, "due_hours": 48.0}
    assert policy.postmortem_due(resolved_at=NOW - timedelta(hours=49), **base)  # type: ignore[arg-type]
    assert not policy.postmortem_due(resolved_at=NOW - timedelta(hours=47), **base)  # type: ignore[arg-type]
    assert not policy.postmortem_due(  # type: ignore[misc]
        resolved_at=NOW - timedelta(hours=49), **{**base, "has_draft": True}
    )
    assert not policy.postmortem_due(  # type: ignore[misc]
        resolved_at=NOW - timedelta(hours=49), **{**base, "reminded_at": NOW}
    )
    assert not policy.postmortem_due(  # type: ignore[misc]
        resolved_at=NOW - timedelta(hours=49), **{**base, "status": "open"}
    )
    # Long-past incidents (e.g. before the bot was installed) are not nagged about.
    assert not policy.postmortem_due(resolved_at=NOW - timedelta(days=30), **base)  # type: ignore[arg-type]
    assert policy.postmortem_target("UR", "C1") == ("dm", "UR")
    assert policy.postmortem_target(None, "C1") == ("channel", "C1")


@pytest.mark.parametrize(
    ("error", "status", "expected"),
    [
        ("ratelimited", 429, "rate_limited"),
        (None, 429, "rate_limited"),
        ("user_not_found", 200, "permanent"),
        ("cannot_dm_bot", 200, "permanent"),
        ("account_inactive", 200, "permanent"),
        ("internal_error", 500, "transient"),
        ("fatal_error", 200, "transient"),
    ],
)
def test_classify_delivery_error(error: str | None, status: int | None, expected: str) -> None:
    assert policy.classify_delivery_error(error, status) == expected


def test_owner_block_reason() -> None:
    assert policy.owner_block_reason(None) == "user_not_found"
    assert policy.owner_block_reason({"id": "U1", "deleted": True}) == "deactivated"
    assert policy.owner_block_reason({"id": "B1", "is_bot": True}) == "cannot_dm_bot"
    assert policy.owner_block_reason({"id": "U1", "tz": "Europe/Berlin"}) is None
