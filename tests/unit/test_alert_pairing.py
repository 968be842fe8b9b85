"""`pair_alerts`: whose word opens and closes an alert, and what a draft's mitigation rests on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.canvas.layout import canvas_view
from bot.catchup import catchup_blocks
from bot.domain import Incident, TimelineEntry
from bot.postmortem.metrics import compute_metrics, pair_alerts
from bot.postmortem.render import TemplateRenderer
from tests.unit.inc1042_entries import report_for

T0 = datetime(2026, 12, 7, 9, 50, tzinfo=UTC)
RENDERER = TemplateRenderer()
INCIDENT = Incident(channel_id="C1", channel_name="inc-1", status="open", opened_at=T0)


def _e(minute: int, kind: str, text: str, *, bot: bool, **refs: str) -> TimelineEntry:
    at = T0 + timedelta(minutes=minute)
    return TimelineEntry(
        channel_id="C1",
        ts=f"{int(at.timestamp())}.000100",
        occurred_at=at,
        kind=kind,
        text=text,
        refs=refs,
        author_name="Alertmanager" if bot else "alice",
        author_kind="bot" if bot else "human",
        source="alertmanager" if bot else None,
    )


def fired(minute: int, alert: str, service: str = "search", **refs: str) -> TimelineEntry:
    return _e(minute, "alert_firing", f"[FIRING:1] {alert}", bot=True, alert=alert, service=service, **refs)


def tool_resolved(minute: int, alert: str, service: str = "search", **refs: str) -> TimelineEntry:
    return _e(minute, "alert_resolved", f"[RESOLVED] {alert}", bot=True, alert=alert, service=service, **refs)


def said_resolved(minute: int, **refs: str) -> TimelineEntry:
    return _e(minute, "alert_resolved", "the alert is fine now, search recovered", bot=False, **refs)


def rows(entries):
    return [
        (a.name, a.fired_at and a.fired_at - T0, a.resolved_at and a.resolved_at - T0, a.said_by_person)
        for a in pair_alerts(entries)
    ]


def m(minutes: int) -> timedelta:
    return timedelta(minutes=minutes)


def test_unnamed_human_resolution_never_closes_a_tools_alert():
    # The review's t2: the person's line at 10:02 is not the alert's end; Alertmanager's at 10:12 is.
    entries = [fired(2, "SearchLatencyHigh"), said_resolved(12, service="search")]
    assert rows(entries) == [("SearchLatencyHigh", m(2), None, False)]
    metrics = compute_metrics(entries, pair_alerts(entries), INCIDENT)
    assert metrics.mitigation.at is None  # the tool still reports it firing
    entries.append(tool_resolved(22, "SearchLatencyHigh"))
    assert rows(entries) == [("SearchLatencyHigh", m(2), m(22), False)]
    (alert,) = pair_alerts(entries)
    assert alert.duration == m(20)
    metrics = compute_metrics(entries, pair_alerts(entries), INCIDENT)
    assert metrics.mitigation.at == T0 + m(22)
    assert metrics.mitigation.basis == "all alerts resolved"
    assert metrics.mitigation.ref.label == "SearchLatencyHigh"


def test_unnamed_human_resolution_with_several_tool_alerts_firing():
    entries = [fired(0, "HighCPU"), fired(1, "High5xx", service="api"), said_resolved(5)]
    assert rows(entries) == [("HighCPU", m(0), None, False), ("High5xx", m(1), None, False)]


def test_unnamed_human_resolution_closes_an_alert_a_person_reported():
    relayed = _e(0, "alert_firing", "pagerduty paged me: search latency", bot=False, service="search")
    entries = [relayed, fired(1, "High5xx", service="api"), said_resolved(5, service="search")]
    assert rows(entries)[0][1:] == (m(0), m(5), False)
    assert rows(entries)[1] == ("High5xx", m(1), None, False)
    # Without a service to match, "the only open alert" is no answer while a tool's alert is open too.
    unsure = [relayed, fired(1, "High5xx", service="api"), said_resolved(5)]
    assert [r[2] for r in rows(unsure)] == [None, None]
    assert rows([relayed, said_resolved(5)])[0][2] == m(5)


def test_named_human_resolution_stands_until_the_tool_reports_its_own():
    entries = [fired(0, "HighCPU"), said_resolved(4, alert="HighCPU")]
    assert rows(entries) == [("HighCPU", m(0), m(4), True)]
    metrics = compute_metrics(entries, pair_alerts(entries), INCIDENT)
    assert metrics.mitigation.at == T0 + m(4)
    assert "person's word" in metrics.mitigation.basis
    # The tool's own resolution replaces the person's time; it is still one alert.
    entries.append(tool_resolved(9, "HighCPU"))
    assert rows(entries) == [("HighCPU", m(0), m(9), False)]
    assert compute_metrics(entries, pair_alerts(entries), INCIDENT).mitigation.basis == "all alerts resolved"


def test_tool_firing_again_undoes_a_persons_early_resolution():
    entries = [fired(0, "HighCPU"), said_resolved(4, alert="HighCPU"), fired(8, "HighCPU")]
    assert rows(entries) == [("HighCPU", m(0), None, False)]


def test_an_alert_a_person_relayed_then_a_tool_reported_is_the_tools():
    relayed = _e(
        0, "alert_firing", "HighCPU is firing on search", bot=False, alert="HighCPU", service="search"
    )
    entries = [relayed, fired(1, "HighCPU"), said_resolved(4), said_resolved(5, alert="HighCPU")]
    assert rows(entries) == [("HighCPU", m(0), m(5), True)]
    entries.append(tool_resolved(9, "HighCPU"))
    assert rows(entries) == [("HighCPU", m(0), m(9), False)]


def test_tool_resolution_before_the_persons_line():
    for said in (said_resolved(12, alert="HighCPU"), said_resolved(12), said_resolved(12, service="search")):
        entries = [fired(0, "HighCPU"), tool_resolved(10, "HighCPU"), said]
        assert rows(entries) == [("HighCPU", m(0), m(10), False)]


def test_fires_resolves_and_fires_again_is_two_episodes():
    entries = [
        fired(0, "HighCPU"),
        tool_resolved(5, "HighCPU"),
        fired(10, "HighCPU"),
        said_resolved(12),
        tool_resolved(20, "HighCPU"),
    ]
    assert rows(entries) == [("HighCPU", m(0), m(5), False), ("HighCPU", m(10), m(20), False)]


def test_a_page_of_an_alert_already_firing_is_that_alert():
    # Alertmanager fires; PagerDuty pages the same alert with its ticket, then resolves by ticket only.
    entries = [
        fired(0, "PaymentsHigh5xx", service="payments"),
        fired(1, "PaymentsHigh5xx", service="payments", ticket="PD-8812"),
        tool_resolved(20, "PaymentsHigh5xx", service="payments"),
        _e(29, "alert_resolved", "Resolved: #PD-8812", bot=True, ticket="PD-8812"),
    ]
    assert rows(entries) == [("PaymentsHigh5xx", m(0), m(20), False)]
    only_page = [entries[1], entries[3]]
    assert rows(only_page) == [("PaymentsHigh5xx", m(1), m(29), False)]


def test_resolution_of_an_alert_never_seen_firing():
    # A tool's resolution of an alert that fired before the channel: listed, fired time unknown.
    assert rows([tool_resolved(3, "DiskFull")]) == [("DiskFull", None, m(3), False)]
    # A person's unnamed word with nothing to close is no alert.
    assert rows([said_resolved(3)]) == []


def test_the_draft_says_whose_word_resolved_an_alert():
    out = RENDERER.render(
        "postmortem", report_for([fired(0, "HighCPU"), said_resolved(4, alert="HighCPU")], [])
    )
    assert "(a person said so; the alerting tool has not)" in out
    assert "all alerts resolved (the last on a person's word" in out
    out = RENDERER.render("postmortem", report_for([fired(0, "HighCPU"), tool_resolved(4, "HighCPU")], []))
    assert "a person said so" not in out and "person's word" not in out


def test_live_views_say_a_tools_alert_is_firing_though_a_person_said_it_resolved():
    entries = [fired(0, "HighCPU"), said_resolved(4, alert="HighCPU")]
    catchup = RENDERER.env.get_template("live/catchup.j2").module
    _, blocks = catchup_blocks(INCIDENT, entries, [], now=T0 + m(10), tz=UTC, text=catchup)
    firing = next(
        b["text"]["text"] for b in blocks if "Alerts still firing" in b.get("text", {}).get("text", "")
    )
    assert (
        "HighCPU (search) since `09:50` (a person said it resolved at `09:54`; its alerting tool has not)"
        in firing
    )
    canvas = RENDERER.env.get_template("live/canvas.j2").module
    view = canvas_view(INCIDENT, entries, [], tz=UTC, text=canvas)
    assert view.bodies["alerts"] == (
        "Alerts: 1 fired, 1 still firing — HighCPU (search) fired 09:50:00, "
        "resolved 09:54:00 (a person said so; its alerting tool has not)"
    )
