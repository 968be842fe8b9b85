"""Claims relate a change to an alert, and an alert's resolution to a rollback, only within one
service; an unknown service is said, never guessed; the impact start agrees with the claims."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.domain import TimelineEntry
from bot.postmortem.assemble import Report
from tests.unit.inc1042_entries import report_for

T0 = datetime(2026, 2, 10, 10, 0, tzinfo=UTC)


def entry(minutes: float, kind: str, text: str, **refs: str) -> TimelineEntry:
    at = T0 + timedelta(minutes=minutes)
    return TimelineEntry(
        channel_id="C1042",
        ts=f"{int(at.timestamp())}.{int(minutes * 100):06d}",
        occurred_at=at,
        kind=kind,
        text=text,
        refs=refs,
        author_name="deploybot",
        author_kind="bot",
        source="ci",
    )


def web_deploy(minutes: float) -> TimelineEntry:
    return entry(
        minutes, "deploy", "DEP-101: Deploy web 2.0.1", change_id="DEP-101", service="web", version="2.0.1"
    )


def search_deploy(minutes: float) -> TimelineEntry:
    return entry(
        minutes,
        "deploy",
        "DEP-102: Deploy search 1.10.0",
        change_id="DEP-102",
        service="search",
        version="1.10.0",
    )


def firing(minutes: float, name: str, service: str | None = None) -> TimelineEntry:
    refs = {"alert": name} | ({"service": service} if service else {})
    return entry(minutes, "alert_firing", f"[FIRING] {name}", **refs)


def resolved(minutes: float, name: str, service: str | None = None) -> TimelineEntry:
    refs = {"alert": name} | ({"service": service} if service else {})
    return entry(minutes, "alert_resolved", f"[RESOLVED] {name}", **refs)


def report(*entries: TimelineEntry) -> Report:
    return report_for(sorted(entries, key=lambda e: e.occurred_at), [])


def statements(r: Report) -> list[str]:
    return [c.statement for c in r.claims]


def test_the_reviewers_case_relates_only_searchs_deploy_to_searchs_alert():
    # search deployed first, then web; the alert is search's. The old draft said web's deploy
    # preceded it while its impact start named search's.
    r = report(
        search_deploy(0),
        web_deploy(5),
        firing(10, "ALT-SEARCH-5XX", "search"),
        entry(20, "rollback", "Rollback search to 1.9.9", service="search", version="1.9.9"),
        resolved(25, "ALT-SEARCH-5XX", "search"),
    )
    assert statements(r) == [
        "A deploy (DEP-102 search 1.10.0) preceded the first alert by 10 min.",
        "Deploys of services no alert was attributed to: DEP-101 web 2.0.1.",
        "1 alert fired during the incident: ALT-SEARCH-5XX.",
        "Rollback search to 1.9.9 was initiated.",
        "Alerts resolved after the rollback (ALT-SEARCH-5XX), the last 5 min after it began.",
    ]
    m = r.metrics
    assert (m.start.at, m.start.ref.label) == (T0, "DEP-102")
    assert m.start.basis == "first search deploy before detection"
    # The summary is built from the claims: it relates web's deploy to no alert either.
    assert "DEP-101 web 2.0.1) preceded" not in r.summary
    assert r.summary.startswith("A deploy (DEP-102 search 1.10.0) preceded the first alert by 10 min.")


def test_web_deployed_first_is_still_not_the_start_of_searchs_impact():
    r = report(web_deploy(0), search_deploy(5), firing(10, "ALT-SEARCH-5XX", "search"))
    assert statements(r)[:2] == [
        "A deploy (DEP-102 search 1.10.0) preceded the first alert by 5 min.",
        "Deploys of services no alert was attributed to: DEP-101 web 2.0.1.",
    ]
    assert r.metrics.start.ref.label == "DEP-102"
    assert r.metrics.time_to_detect.text == "5 min"


def test_only_another_services_deploy_is_not_the_start_and_not_claimed():
    r = report(web_deploy(0), firing(10, "ALT-SEARCH-5XX", "search"))
    assert statements(r)[0] == "Deploys of services no alert was attributed to: DEP-101 web 2.0.1."
    assert not any("preceded" in s for s in statements(r))
    m = r.metrics
    assert m.start.at == m.detection.at
    assert m.start.basis == "detection (no search deploy shortly before it)"


def test_alerts_on_each_service_relate_each_to_its_own_deploys():
    r = report(
        web_deploy(0),
        search_deploy(2),
        firing(5, "ALT-WEB-LATENCY", "web"),
        firing(8, "ALT-SEARCH-5XX", "search"),
        entry(12, "deploy", "DEP-103: Deploy web 2.0.2", change_id="DEP-103", service="web", version="2.0.2"),
    )
    assert statements(r)[:4] == [
        "A deploy (DEP-101 web 2.0.1) preceded the first web alert (ALT-WEB-LATENCY) by 5 min.",
        "Deploys followed the first web alert (ALT-WEB-LATENCY): DEP-103 web 2.0.2.",
        "A deploy (DEP-102 search 1.10.0) preceded the first search alert (ALT-SEARCH-5XX) by 6 min.",
        "2 alerts fired during the incident: ALT-WEB-LATENCY, ALT-SEARCH-5XX.",
    ]
    assert r.metrics.start.ref.label == "DEP-101"  # the first alert is web's


def test_several_deploys_of_the_alerts_service_are_each_listed_with_their_gap():
    r = report(
        search_deploy(0),
        entry(
            4,
            "deploy",
            "DEP-104: Deploy search 1.10.1",
            change_id="DEP-104",
            service="search",
            version="1.10.1",
        ),
        firing(10, "ALT-SEARCH-5XX", "search"),
    )
    assert statements(r)[0] == (
        "Deploys preceded the first alert: DEP-102 search 1.10.0 by 10 min, DEP-104 search 1.10.1 by 6 min."
    )
    assert r.metrics.start.ref.label == "DEP-102"  # the earliest in the window


def test_an_alert_of_unknown_service_is_said_so_and_the_start_says_why():
    r = report(web_deploy(0), firing(4, "ALT-5XX"))
    assert (
        statements(r)[0]
        == "A deploy (DEP-101 web 2.0.1) preceded the first alert (service unknown) by 4 min."
    )
    m = r.metrics
    assert m.start.ref.label == "DEP-101"
    assert m.start.basis == "first deploy before detection (the first alert's service is unknown)"


def test_a_deploy_of_unknown_service_is_said_so_and_yields_to_one_of_the_alerts_service():
    nameless = entry(0, "deploy", "DEP-200: deploying 3.1.0", change_id="DEP-200", version="3.1.0")
    r = report(nameless, firing(6, "ALT-SEARCH-5XX", "search"))
    assert statements(r)[0] == (
        "A deploy (DEP-200 3.1.0, service unknown) preceded the first alert by 6 min."
    )
    assert r.metrics.start.basis == "first deploy before detection (the deploy's service is unknown)"

    r = report(nameless, search_deploy(3), firing(6, "ALT-SEARCH-5XX", "search"))
    assert statements(r)[:2] == [
        "A deploy (DEP-102 search 1.10.0) preceded the first alert by 3 min.",
        "A deploy (DEP-200 3.1.0, service unknown) preceded the first alert by 6 min.",
    ]
    assert r.metrics.start.ref.label == "DEP-102"


def test_two_rollbacks_each_named_with_the_alerts_of_their_service():
    r = report(
        web_deploy(0),
        search_deploy(1),
        firing(5, "ALT-WEB-LATENCY", "web"),
        firing(6, "ALT-SEARCH-5XX", "search"),
        entry(
            10, "rollback", "RB-1: Rollback web to 2.0.0", change_id="RB-1", service="web", version="2.0.0"
        ),
        entry(
            12,
            "rollback",
            "RB-2: Rollback search to 1.9.9",
            change_id="RB-2",
            service="search",
            version="1.9.9",
        ),
        resolved(15, "ALT-SEARCH-5XX", "search"),
        resolved(18, "ALT-WEB-LATENCY", "web"),
        firing(19, "ALT-DISK"),
        resolved(20, "ALT-DISK"),
    )
    assert [s for s in statements(r) if "resolved" in s] == [
        "Alerts resolved after the web rollback RB-1 (ALT-WEB-LATENCY), the last 8 min after it began.",
        # An alert naming no service goes with the latest rollback before it resolved, said so.
        "Alerts resolved after the search rollback RB-2 (ALT-SEARCH-5XX, ALT-DISK (service unknown)), "
        "the last 8 min after it began.",
    ]
    rb1 = next(c for c in r.claims if "rollback RB-1" in c.statement)
    assert [ref.label for ref in rb1.refs] == ["RB-1", "ALT-WEB-LATENCY"]


def test_an_alert_resolving_before_its_services_rollback_is_not_said_to_follow_it():
    r = report(
        search_deploy(0),
        firing(2, "ALT-WEB-LATENCY", "web"),
        resolved(4, "ALT-WEB-LATENCY", "web"),
        firing(5, "ALT-SEARCH-5XX", "search"),
        entry(10, "rollback", "Rollback search to 1.9.9", service="search", version="1.9.9"),
        resolved(12, "ALT-SEARCH-5XX", "search"),
        firing(13, "ALT-WEB-5XX", "web"),
        resolved(14, "ALT-WEB-5XX", "web"),
    )
    assert [s for s in statements(r) if "resolved" in s] == [
        "Alerts resolved after the rollback (ALT-SEARCH-5XX), the last 2 min after it began.",
        "Alerts resolved: ALT-WEB-LATENCY, ALT-WEB-5XX.",
    ]


def _page(minutes: float, kind: str, text: str, **refs: str) -> TimelineEntry:
    return replace(entry(minutes, kind, text, **refs), author_name="pagerduty", source="pagerduty")


def _ack_claim(report: Report) -> str:
    return next(c.statement for c in report.claims if c.statement.startswith("On-call acknowledged"))


def test_a_paging_tools_acknowledgement_names_the_person_not_the_tool():
    fired = entry(
        1, "alert_firing", "[FIRING:1] PaymentsHigh5xx", alert="PaymentsHigh5xx", service="payments"
    )
    acked = _page(4, "ack", "Acknowledged by bob: #PD-8812 PaymentsHigh5xx", ticket="PD-8812")
    assert (
        _ack_claim(report_for([fired, acked], []))
        == "On-call acknowledged (bob) 3 min after the first alert."
    )
    nobody = _page(4, "ack", "Acknowledged: #PD-8812 PaymentsHigh5xx", ticket="PD-8812")
    assert _ack_claim(report_for([fired, nobody], [])) == (
        "On-call acknowledged (via pagerduty) 3 min after the first alert."
    )
