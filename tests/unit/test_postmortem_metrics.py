"""Metrics: definitions, unknown instants said as unknown, durations formatted."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.postmortem.metrics import format_duration, pair_alerts
from bot.postmortem.render import TemplateRenderer
from tests.unit import inc1042_entries as inc
from tests.unit.inc1042_entries import report_for


def only(*kinds: str):
    return [e for e in inc.entries() if e.kind in kinds]


def test_format_duration():
    assert format_duration(45) == "45 s"
    assert format_duration(60) == "1 min"
    assert format_duration(135) == "2 min 15 s"
    assert format_duration(timedelta(hours=1, minutes=5)) == "1 h 5 min"
    assert format_duration(timedelta(days=2, hours=3)) == "2 d 3 h"
    assert format_duration(None) == "unknown"


def test_unknown_acknowledgement_and_mitigation_are_said_not_guessed():
    incident = replace(inc.INCIDENT, resolved_at=None, status="open")
    report = report_for(only("deploy", "alert_firing"), [], incident=incident)
    m = report.metrics
    assert m.acknowledgement.at is None
    assert m.time_to_acknowledge.seconds is None
    assert m.time_to_acknowledge.text == "unknown (no acknowledgement in the timeline)"
    assert m.mitigation.at is None and m.time_to_mitigate.text.startswith("unknown")
    assert m.resolution.at is None and m.time_to_resolve.text.startswith("unknown")
    out = TemplateRenderer().render("postmortem", report)
    assert "| **Time to acknowledge** | unknown (no acknowledgement in the timeline) |" in out


def test_no_alert_detection_falls_back_to_channel_opened():
    report = report_for(only("deploy", "ack"), [])
    m = report.metrics
    assert m.detection.at == inc.INCIDENT.opened_at
    assert "channel opened" in m.detection.basis
    # The deploy at 10:00 precedes the channel opening (10:03:30): it is the start.
    assert m.start.at == inc.T0


def test_mitigation_from_alerts_resolving_when_nobody_said_so():
    report = report_for(only("deploy", "alert_firing", "alert_resolved", "ack"), [])
    m = report.metrics
    assert m.mitigation.at == inc.T0 + timedelta(minutes=29)
    assert m.mitigation.basis == "all alerts resolved"
    assert m.time_to_mitigate.text == "26 min"


def test_total_duration_until_mitigation_while_unresolved():
    incident = replace(inc.INCIDENT, resolved_at=None, status="mitigated")
    report = report_for(only("deploy", "alert_firing", "mitigated"), [], incident=incident)
    assert report.metrics.total_duration.text == "30 min (to mitigation; not resolved yet)"


def test_empty_timeline():
    report = report_for([], [])
    assert report.metrics.start.at == inc.INCIDENT.opened_at
    assert report.claims == ()
    out = TemplateRenderer().render("postmortem", report)
    assert "The timeline supports no claim yet." in out
    assert "No deploy or rollback was captured" in out


def test_old_deploy_is_not_the_start():
    entries = inc.entries()
    old = replace(entries[3], occurred_at=inc.T0 - timedelta(hours=8), ts="1770688800.000001")
    report = report_for([old, *only("alert_firing")], [])
    assert report.metrics.start.at == report.metrics.detection.at


def test_alert_pairing():
    alerts = pair_alerts(only("alert_firing", "alert_resolved"))
    assert [(a.name, a.duration) for a in alerts] == [
        ("ALT-CPU-1042", timedelta(minutes=26)),
        ("ALT-5XX-1042", timedelta(minutes=25)),
    ]
    # A resolution without a name matches the only open alert, but never a guess among several.
    fired, resolved = only("alert_firing")[0], only("alert_resolved")[0]
    anon = replace(resolved, refs={})
    assert pair_alerts([fired, anon])[0].resolved_at == anon.occurred_at
    two = pair_alerts([*only("alert_firing"), anon])
    assert len(two) == 3 and sum(1 for a in two if a.fired_at is None) == 1


def test_repeated_firing_is_one_alert():
    fired = only("alert_firing")[0]
    again = replace(fired, occurred_at=fired.occurred_at + timedelta(minutes=5), ts="1770717900.000099")
    resolved = only("alert_resolved")[0]
    (alert,) = pair_alerts([fired, again, resolved])
    assert alert.fired_at == fired.occurred_at and alert.resolved_at == resolved.occurred_at
