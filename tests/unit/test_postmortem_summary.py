"""The Block Kit summary stays within Slack's limits; what changed between drafts."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest
from slack_sdk.models.blocks import DividerBlock

from bot.domain import FollowUp
from bot.postmortem.render import TemplateRenderer
from bot.postmortem.summary import FALLBACK_MAX, MAX_BLOCKS, SECTION_MAX, cap_blocks, summary_blocks
from bot.postmortem.versions import report_digest, what_changed
from tests.unit import inc1042_entries as inc
from tests.unit.inc1042_entries import assert_tables_intact, report_for


def check_limits(blocks: list[dict], text: str) -> None:
    assert len(blocks) <= MAX_BLOCKS
    assert len(text) <= FALLBACK_MAX
    for b in blocks:
        if b["type"] == "section":
            if "text" in b:
                assert len(b["text"]["text"]) <= SECTION_MAX
            for f in b.get("fields", []):
                assert len(f["text"]) <= 2000
            assert len(b.get("fields", [])) <= 10
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= 150


def test_inc1042_summary():
    blocks, text = summary_blocks(report_for(), version=1, changed=None)
    check_limits(blocks, text)
    dumped = json.dumps(blocks, ensure_ascii=False)
    assert "Post-mortem draft v1: INC-1042" in dumped
    assert "Time to acknowledge: 1 min" in dumped
    assert "Failed version v2.14.0 → rolled back to v2.13.2" in dumped
    assert "approvals 1/2" in dumped
    assert "Follow-ups due" in dumped and "(overdue)" in dumped
    assert "INC-1042" in text and "Policy flag" in text


def test_10k_entries_within_limits_and_fast():
    followups = [
        FollowUp(i, inc.CHANNEL, f"U{i}", f"follow-up {i} " + "z" * 300, "U0", inc.NOW, due=inc.NOW.date())
        for i in range(1, 500)
    ]
    started = time.perf_counter()
    report = report_for(inc.synthetic_entries(10_000), followups)
    blocks, text = summary_blocks(report, version=7, changed="since v6: +9,000 timeline entries " * 200)
    markdown = TemplateRenderer().render("postmortem", report)
    elapsed = time.perf_counter() - started
    check_limits(blocks, text)
    assert len(report.flags) > 1000
    assert "more in the draft" in json.dumps(blocks)
    assert_tables_intact(markdown)
    assert elapsed < 10  # generous: bench/render.py measures the real figure


def test_cap_blocks():
    blocks = [DividerBlock() for _ in range(80)]
    capped = cap_blocks(blocks)
    assert len(capped) == 50
    assert capped[-1].to_dict()["type"] == "context"
    assert cap_blocks(blocks[:10]) == blocks[:10]


def test_what_changed():
    entries, fus = inc.entries(), inc.followups()
    v1 = report_for(entries[:12], fus[:1])
    v2 = report_for(entries, fus)
    assert what_changed(None, v2) is None
    line = what_changed(report_digest(v1, version=1), v2)
    assert line is not None
    assert line.startswith("since v1: +")
    assert "rollback RB-7781 to v2.13.2 added" in line
    assert "time to mitigate now 27 min" in line
    assert "\n" not in line
    assert what_changed(report_digest(v2, version=2), v2) == "since v2: no changes"
    digest = report_digest(v1)
    assert json.loads(json.dumps(digest)) == digest
    assert what_changed(digest, v2, prev_version=3).startswith("since v3:")


def test_what_changed_status_and_flags():
    v1 = report_for(inc.entries()[:2], [], incident=replace(inc.INCIDENT, status="open"))
    v2 = report_for()
    line = what_changed(report_digest(v1, version=1), v2)
    assert "status now resolved" in line and "policy flags added" in line


@pytest.mark.parametrize("name", ["postmortem", "brief", "rollback"])
def test_empty_report_summary(name):
    report = report_for([], [])
    blocks, text = summary_blocks(report, version=1, changed=None)
    check_limits(blocks, text)
    assert TemplateRenderer().render(name, report)
