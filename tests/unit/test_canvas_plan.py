"""The canvas's content is a pure function of the stored incident, and the plan turns what was
written into it with single-operation steps, whatever changed in between."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.canvas.layout import SECTIONS, LineMemo, canvas_view, document, lookup_key, pinned_text
from bot.canvas.plan import initial_written, plan
from bot.canvas.updater import CanvasTuning, CanvasUpdater
from bot.config import SettingsError, load_settings
from bot.domain import FollowUp, Incident, TimelineEntry
from bot.postmortem.render import TemplateRenderer
from storage import canvases as canvas_store
from storage.db import Database

T0 = datetime(2026, 2, 10, 10, 0, tzinfo=UTC)
TEXT = TemplateRenderer().env.get_template("live/canvas.j2").module
INCIDENT = Incident(
    "C1",
    "inc-42",
    "open",
    T0,
    commander_id="U2",
    commander_name="bob",
    commander_set_by="U1",
    commander_set_at=T0,
)


def entry(ts: str, minutes: float, kind: str, text: str, **refs: str) -> TimelineEntry:
    return TimelineEntry("C1", ts, T0 + timedelta(minutes=minutes), kind, text, refs=refs)


def view(
    entries: list[TimelineEntry], incident: Incident = INCIDENT, followups: tuple[FollowUp, ...] = ()
) -> Any:
    return canvas_view(
        incident, sorted(entries, key=lambda e: e.occurred_at), list(followups), tz=UTC, text=TEXT
    )


BASE = [
    entry(
        "1.1", 1, "alert_firing", "HighErrorRate firing for search", alert="HighErrorRate", service="search"
    ),
    entry("1.2", 2, "other", "is the coffee machine down too?"),
    entry("1.3", 3, "ack", "ack, on it <!channel>"),
]


def apply(written: dict[str, Any], steps: list[Any]) -> dict[str, Any]:
    return steps[-1].written if steps else written


def test_document_has_the_fixed_sections_and_no_other_lines() -> None:
    v = view(BASE)
    text = document(v)
    assert [line for line in text.splitlines() if line.startswith("## ")] == [
        "## Status", "## Timeline", "## Alerts", "## Metrics", "## Follow-ups", "## Post-mortem"
    ]  # fmt: skip
    assert "coffee machine" not in text
    assert "<!channel>" not in text  # broadcasts disarmed
    assert "Status: open · Severity: unknown · Commander: bob" in text
    assert "HighErrorRate (search) fired 10:01:00, still firing" in text
    assert "Time to acknowledge: 2 min" in text
    assert [ts for ts, _ in v.timeline] == ["1.1", "1.3"]


def test_plan_deletes_corrects_inserts_in_place_and_replaces_bodies() -> None:
    written = initial_written(view(BASE), {name: f"H-{name}" for name in SECTIONS})
    changed = [
        entry("1.0", 0, "deploy", "deploying search 2.0.0"),  # late: goes before the others
        BASE[1],
        entry("1.3", 3, "ack", "ack, looking at the pods"),  # edited
        entry("1.5", 5, "mitigated", "error rate back to normal"),
    ]  # 1.1 deleted
    target = view(changed)
    steps = plan(written, target)
    ops = [(s.operation, s.anchor.heading or s.anchor.text) for s in steps]
    assert ops[0] == ("delete", "- 10:01:00 · alert firing — HighErrorRate firing for search")
    assert ops[1][0] == "replace" and "ack, on it" in ops[1][1]
    assert ops[2] == ("insert_after", "timeline")
    assert ops[3] == ("insert_after", "- 10:03:00 · ack — ack, looking at the pods")
    assert [op for op, _ in ops[4:]] == ["replace"] * (len(ops) - 4)
    final = apply(written, steps)
    assert final["timeline"] == [list(x) for x in target.timeline]
    assert final["bodies"] == target.bodies
    assert final["headings"] == written["headings"]
    assert plan(final, target) == []  # converged


def test_a_burst_of_new_lines_is_one_insert() -> None:
    written = initial_written(view(BASE), {})
    burst = BASE + [
        entry(f"2.{i:02d}", 10 + i / 10, "decision", f"we will drain node {i}") for i in range(40)
    ]
    steps = [s for s in plan(written, view(burst)) if s.operation == "insert_after"]
    assert len(steps) == 1
    assert steps[0].markdown is not None and steps[0].markdown.count("\n") == 39


def test_status_and_followups_are_replaced_as_one_element_each() -> None:
    written = initial_written(view(BASE), {})
    resolved = Incident("C1", "inc-42", "resolved", T0, resolved_at=T0 + timedelta(hours=1), severity="SEV2")
    item = FollowUp(7, "C1", "U9", "add | a *pipe*\nalert", "U1", T0, due=date(2026, 2, 12), owner_name="ann")
    steps = plan(written, view(BASE, resolved, (item,)))
    bodies = {s.markdown.split(":")[0] for s in steps if s.markdown}
    assert {"Status", "Follow-ups"} <= bodies
    for s in steps:
        assert s.markdown is None or "\n" not in s.markdown  # one element: one line
    status = next(s for s in steps if s.markdown and s.markdown.startswith("Status"))
    assert status.operation == "replace" and status.anchor.text is not None
    assert status.anchor.text.startswith("Status: open")


def test_lookup_keys_stop_at_markup_and_skip_list_markers() -> None:
    assert lookup_key("- 10:03:00 · ack — fixed the *bold* thing") == "10:03:00 · ack — fixed the"
    assert lookup_key("No draft yet: run `/postmortem draft`") == "No draft yet: run"
    assert len(lookup_key("x" * 500)) == 100


def test_pinned_text_keeps_the_latest_lines() -> None:
    many = [entry(f"3.{i:03d}", i, "decision", f"step {i}") for i in range(60)]
    text = pinned_text(view(many), max_lines=40)
    assert "… 20 earlier" in text and "step 59" in text and "step 19" not in text
    assert "*Status*" in text and "*Timeline*" in text


def test_scribe_canvas_setting_is_validated() -> None:
    assert load_settings(_env_file=None, scribe_canvas="OFF").scribe_canvas == "off"
    with pytest.raises(SettingsError, match="SCRIBE_CANVAS"):
        load_settings(_env_file=None, scribe_canvas="maybe")
    with pytest.raises(SettingsError, match="SCRIBE_CANVAS_DEBOUNCE_SECONDS"):
        load_settings(_env_file=None, scribe_canvas_debounce_seconds=0)


async def test_the_edit_budget_is_shared_and_never_overspent(db_url: str) -> None:
    db = Database(db_url)
    await db.migrate()
    try:
        taken = 0
        for _ in range(10):
            async with db.transaction() as session:
                taken += await canvas_store.take_token(session, 1000.0, 5.0, 40 / 60) == 0.0
        assert taken == 5  # the burst, then nothing at the same instant
        async with db.transaction() as session:
            wait = await canvas_store.take_token(session, 1000.0, 5.0, 40 / 60)
        assert wait == pytest.approx(1.5)
        async with db.transaction() as session:
            assert await canvas_store.take_token(session, 1001.5, 5.0, 40 / 60) == 0.0
        # Over a simulated minute: at most capacity + rate x 60 = 45.
        now, spent = 2000.0, 0
        while now < 2060.0:
            async with db.transaction() as session:
                if await canvas_store.take_token(session, now, 5.0, 40 / 60) == 0.0:
                    spent += 1
            now += 0.25
        assert spent <= 45
    finally:
        await db.dispose()


def test_a_memo_of_lines_changes_nothing_shown_and_follows_names_and_edits() -> None:
    memo = LineMemo()
    entries = [*BASE, entry("1.4", 4, "decision", "decision: <@U9> drains node 3 first")]
    with_memo = canvas_view(INCIDENT, entries, [], tz=UTC, text=TEXT, memo=memo)
    assert with_memo == view(entries)
    assert len(memo.lines) == 3  # `other` is never shown, so never kept

    # A line whose text was edited is written again; the old one leaves the memo.
    edited = [*BASE[:2], entry("1.3", 3, "ack", "ack, looking at search"), entries[3]]
    again = canvas_view(INCIDENT, edited, [], tz=UTC, text=TEXT, memo=memo)
    assert again == view(edited) and "looking at search" in again.timeline[1][1]
    assert len(memo.lines) == 3

    # A name learned later (the follow-up's owner) changes how the mention reads: every line again.
    owner = FollowUp(1, "C1", "U9", "write the runbook", "U1", T0, owner_name="dora")
    named = canvas_view(INCIDENT, edited, [owner], tz=UTC, text=TEXT, memo=memo)
    assert named == view(edited, followups=(owner,))
    assert "@dora" in named.timeline[-1][1]


def test_an_incident_whose_updates_cost_more_waits_longer_for_the_next() -> None:
    updater = CanvasUpdater(
        db=None, gateway=None, text=lambda: TEXT, tz=UTC, clock=lambda: T0,  # type: ignore[arg-type]
        tuning=CanvasTuning(debounce=0.0, share=0.1),
    )  # fmt: skip
    updater._cost = 0.5  # this update spent half a second deriving the canvas
    before = time.monotonic()
    updater._pace("C1")
    updater.notify("C1", now=True)
    # Its next turn keeps the canvas to a tenth of the loop: 0.5 s of work, then 4.5 s of rest.
    assert updater._due["C1"] >= before + 4.5
    updater._cost = 0.001  # a cheap update rests a few ms: a normal incident sees no delay
    updater._pace("C2")
    updater.notify("C2", now=True)
    assert updater._due["C2"] <= time.monotonic() + 0.05
