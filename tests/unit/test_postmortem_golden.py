"""INC-1042 (seed 000) end to end through the pure core: assemble, render every built-in template."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from bot.postmortem.assemble import incident_id, iso_utc
from bot.postmortem.render import TemplateRenderer
from tests.unit import inc1042_entries as inc
from tests.unit.inc1042_entries import assert_tables_intact, report_for


@pytest.fixture(scope="module")
def report():
    return report_for()


@pytest.fixture(scope="module")
def draft(report):
    return TemplateRenderer().render("postmortem", report)


def timeline_rows(markdown: str) -> list[str]:
    start = markdown.index("| ts | kind | service | ref | summary |")
    block = markdown[start:].split("\n\n", 1)[0]
    return block.split("\n")[2:]


def test_header(report):
    h = report.header
    assert h.incident_id == "INC-1042"
    assert h.severity == "high" and h.commander == "carol"
    assert report.responders == ("alice", "carol", "dave", "bob")  # people who posted, bots excluded
    assert h.services == ("api-gateway",)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("incident-1042", "INC-1042"),
        ("inc-1042-api-gateway", "INC-1042"),
        ("incident_2025-12-02-api-down", "INC-2025-12-02"),
        ("incident-db-outage", "INC-DB-OUTAGE"),
        ("INC_77", "INC-77"),
    ],
)
def test_incident_id(name, expected):
    assert incident_id(name) == expected


def test_timeline_holds_the_events_and_not_chatter(report, draft):
    rows = timeline_rows(draft)
    assert len(rows) == report.counts.timeline == 14
    text = "\n".join(rows)
    assert "| 2026-02-10T10:00:00.000Z | deploy | api-gateway | DEP-7781 |" in text
    assert "v2.14.0" in text
    assert "| 2026-02-10T10:04:00.000Z | ack |" in text
    assert "| 2026-02-10T10:03:00.000Z | alert_firing | api-gateway | ALT-CPU-1042 |" in text
    assert "| 2026-02-10T10:04:00.000Z | alert_firing | api-gateway | ALT-5XX-1042 |" in text
    assert text.count("| alert_resolved |") == 2
    assert "| 2026-02-10T10:27:00.000Z | rollback | api-gateway | RB-7781 |" in text
    assert "v2.13.2" in text
    assert "| note |" in text  # hand-added notes are events
    # Chatter (`other`): questions, reminders, pasted logs and coffee are not timeline events.
    for chatter in ("can we deploy at 10am", "[LOG]", "coffee", "Proceed with caution"):
        assert chatter not in text
    # Ordered by message time.
    stamps = [r.split(" | ")[0].lstrip("| ") for r in rows]
    assert stamps == sorted(stamps)


def test_failed_version_and_rollback_line(report, draft):
    (only,) = report.rollbacks
    assert only.line == "api-gateway: Failed version v2.14.0 → rolled back to v2.13.2"
    assert (only.failed_change_id, only.change_id) == ("DEP-7781", "RB-7781")
    assert "Failed version v2.14.0 → rolled back to v2.13.2" in draft
    rollback = TemplateRenderer().render("rollback", report)
    assert "**Failed Version**: v2.14.0 (DEP-7781)" in rollback
    assert "**Rolled Back To**: v2.13.2 (RB-7781)" in rollback
    # The deploy named next to detection is the impact start (the alert's own service's deploy).
    assert "Alert ALT-CPU-1042 fired at 10:03:00 UTC, 3 min after the deploy DEP-7781 started." in rollback


def test_changes_are_grouped_by_change(report):
    deploy, rollback = report.changes
    assert (deploy.kind, deploy.change_id, deploy.service, deploy.version) == (
        "deploy",
        "DEP-7781",
        "api-gateway",
        "v2.14.0",
    )
    assert (deploy.approvals, deploy.approvals_needed, deploy.window_marker) == (1, 2, "out_of_window")
    # "Initiating rollback DEP-7781" names the reverted deploy; it joins the RB-7781 record.
    assert (rollback.kind, rollback.change_id, rollback.version) == ("rollback", "RB-7781", "v2.13.2")
    assert (rollback.reverts, deploy.rolled_back_by) == ("DEP-7781", "RB-7781")
    assert len(rollback.refs) == 3
    assert report.artifacts == ("DEP-7781", "RB-7781")


def test_metrics(report, draft):
    m = report.metrics
    assert m.time_to_acknowledge.seconds == 60 and m.time_to_acknowledge.text == "1 min"
    assert m.detection.at == inc.T0.replace(minute=3)
    assert m.time_to_detect.text == "3 min"
    assert m.time_to_mitigate.text == "27 min"
    assert m.total_duration.text == "31 min"  # seed 000: "Duration: 31 minutes"
    assert "| **Time to acknowledge** | 1 min |" in draft
    assert "[^metrics]: How these are measured." in draft


def test_policy_flags(report, draft):
    codes = {(f.code, f.change) for f in report.flags}
    assert codes == {("approvals", "DEP-7781"), ("change_window", "DEP-7781")}
    assert "DEP-7781: approvals 1/2 (fewer than required)" in draft
    assert "outside the change window" in draft


def test_claims_carry_evidence(report, draft):
    statements = [c.statement for c in report.claims]
    assert any(s.startswith("A deploy (DEP-7781") and "preceded the first alert" in s for s in statements)
    assert any("acknowledged" in s for s in statements)
    assert any(s.startswith("Rollback RB-7781") for s in statements)
    assert any("Alerts resolved after the rollback" in s for s in statements)
    for c in report.claims:
        assert c.refs and 0 < c.confidence <= 1
        assert c.id in draft
    first = report.claims[0]
    assert first.ref_labels == "DEP-7781, ALT-CPU-1042"
    assert "| CLM-001 |" in draft and "DEP-7781 (10:00:00Z), ALT-CPU-1042 (10:03:00Z)" in draft


def test_confidence_follows_capture(report):
    by_label = {c.id: c.confidence for c in report.claims}
    alerts_claim = next(c for c in report.claims if "alerts fired" in c.statement)
    assert alerts_claim.confidence == 0.9  # integration messages
    ack_claim = next(c for c in report.claims if "acknowledged" in c.statement)
    assert ack_claim.confidence == 0.7  # a person's free text, classified automatically
    decision = report.decisions[0]
    assert decision.confidence == 0.95  # confirmed by reaction and kind_locked
    assert by_label


def test_sections_and_prompts(draft):
    for heading in (
        "## Incident Details",
        "## Summary",
        "## Impact",
        "### SLO Impact",
        "## Timeline",
        "### Key Decision Points",
        "## Evidence",
        "### Decision integrity artifacts",
        "## Root Cause Analysis",
        "### The 5 Whys",
        "## Detection & Response",
        "### What Went Well",
        "### What Went Poorly",
        "## Action Items",
        "### Prevent",
        "### Detect",
        "### Respond",
        "### Long-term",
        "## Lessons Learned",
        "## Post-mortem Checklist",
        "## Sign-off",
    ):
        assert heading in draft, heading
    assert "Post-mortem completed within 48 hours" in draft
    assert "due 2026-02-12 10:31 UTC" in draft
    # Human-only parts are prompts, not invented facts.
    assert "_fill in_" in draft


def test_action_items(report, draft):
    cats = {a.ref: a.category for a in report.actions}
    assert cats == {"FU-1": "Prevent", "FU-2": "Detect", "FU-3": "Long-term"}
    assert (
        "| Verify monitoring alerts and rollback runbooks. | bob | 2026-02-09 | medium | OPEN (overdue) "
        "| FU-2 |" in draft
    )


def test_mermaid_present(draft):
    block = re.search(r"```mermaid\n(.*?)```", draft, re.S)
    assert block is not None
    body = block.group(1)
    assert body.startswith("gantt")
    assert "ALT-CPU-1042 :crit" in body
    assert "Rollback RB-7781 api-gateway to v2.13.2 :milestone" in body


@pytest.mark.parametrize("name", ["postmortem", "rollback", "brief"])
def test_builtin_templates_render_with_intact_tables(report, name):
    out = TemplateRenderer().render(name, report)
    assert "INC-1042" in out
    assert_tables_intact(out)


def test_display_zone_used_everywhere_with_unambiguous_offsets():
    report = report_for(tz=ZoneInfo("Europe/Paris"))
    out = TemplateRenderer().render("postmortem", report)
    assert "2026-02-10 11:03 CET" in out  # details in the display zone
    # SCRIBE_TIMEZONE applies to the table too; the offset keeps each instant exact.
    assert "| 2026-02-10T11:03:00.000+01:00 | alert_firing |" in out
    assert "All times ISO 8601 in Europe/Paris" in out
    assert "(times in Europe/Paris)" in out and "2026-02-10 11:03:00" in out  # the Mermaid gantt


def test_iso_utc_milliseconds():
    assert iso_utc(inc.T0.replace(microsecond=123456)) == "2026-02-10T10:00:00.123Z"


def test_render_is_deterministic(report):
    r = TemplateRenderer()
    assert r.render("postmortem", report) == r.render("postmortem", report)
