"""Policy configuration, change windows, approvals, confidence rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.postmortem.evidence import entry_confidence
from bot.postmortem.policy import Policy, PolicyError, parse_change_window
from tests.unit import inc1042_entries as inc
from tests.unit.inc1042_entries import report_for

PARIS = ZoneInfo("Europe/Paris")


def test_window_spec():
    w = parse_change_window("Mon-Fri 09:00-17:00", PARIS)
    assert w.contains(datetime(2026, 2, 10, 9, 0, tzinfo=UTC))  # Tue 10:00 Paris
    assert not w.contains(datetime(2026, 2, 10, 16, 30, tzinfo=UTC))  # Tue 17:30 Paris
    assert not w.contains(datetime(2026, 2, 14, 10, 0, tzinfo=UTC))  # Saturday


def test_window_several_parts_zone_and_overnight():
    w = parse_change_window("Mon-Thu 09:00-17:00; Fri 09:00-12:00 America/New_York", UTC)
    assert w.tz == ZoneInfo("America/New_York")
    assert not w.contains(datetime(2026, 2, 13, 18, 0, tzinfo=UTC))  # Fri 13:00 New York
    night = parse_change_window("Sat 22:00-02:00", UTC)
    assert night.contains(datetime(2026, 2, 15, 1, 0, tzinfo=UTC))  # Sunday 01:00 belongs to Saturday
    assert not night.contains(datetime(2026, 2, 16, 1, 0, tzinfo=UTC))


@pytest.mark.parametrize("spec", ["weekdays", "Mon-Fri 9-17", "Xyz 09:00-10:00", "Mon 09:00-17:00 Mars/Base"])
def test_bad_window_spec(spec):
    with pytest.raises(PolicyError):
        parse_change_window(spec, UTC)


def test_policy_from_strings():
    p = Policy.from_strings("2", "Mon-Fri 09:00-17:00", UTC)
    assert p.required_approvals == 2 and p.change_window is not None
    assert Policy.from_strings(None, None, UTC) == Policy()
    assert Policy.from_strings(1, "", UTC).change_window is None
    with pytest.raises(PolicyError):
        Policy.from_strings("two", None, UTC)


def _deploy(text: str, at: datetime | None = None):
    e = inc.entries()[3]
    return replace(e, text=text, occurred_at=at or e.occurred_at)


def test_configured_window_flags_deploy_outside():
    sat = datetime(2026, 2, 14, 10, 0, tzinfo=UTC)
    report = report_for(
        [_deploy("DEP-7781: Deploy api-gateway v2.14.0", sat)],
        [],
        policy=Policy.from_strings(0, "Mon-Fri 09:00-17:00", UTC),
    )
    (flag,) = report.flags
    assert flag.code == "change_window" and "Sat 10:00" in flag.statement


def test_configured_approvals_stricter_than_record():
    report = report_for(
        [_deploy("Deploy api-gateway (approvals: 1)")], [], policy=Policy(required_approvals=2)
    )
    assert [f.statement for f in report.flags] == ["DEP-7781: approvals 1/2 (fewer than required)"]


def test_no_flags_when_compliant():
    report = report_for(
        [_deploy("Deploy api-gateway v2.14.0 (approvals 2/2, window=in_window)")],
        [],
        policy=Policy.from_strings(2, "Mon-Fri 09:00-17:00", UTC),
    )
    assert report.flags == ()


def test_rollback_exempt_from_window():
    rb = replace(inc.entries()[18], text="RB-7781: Rollback (window=out_of_window)")
    assert report_for([rb], []).flags == ()


def test_entry_confidence_rules():
    entries = inc.entries()
    deploy_bot = entries[3]
    assert entry_confidence(deploy_bot) == 0.9
    assert entry_confidence(replace(deploy_bot, source=None)) == 0.8
    assert entry_confidence(entries[2]) == 0.7  # a person, classified automatically
    assert entry_confidence(replace(entries[2], kind_locked=True)) == 0.95
    assert entry_confidence(replace(entries[2], capture="shortcut")) == 0.95
    assert entry_confidence(replace(deploy_bot, capture="backfill")) == 0.85
