"""From what was last written to what the canvas should show: the fewest single-operation edits (pure).

`written` is the JSON kept in `incident_canvas.written`:
    {"headings": {section: section_id}, "bodies": {section: markdown}, "timeline": [[ts, line], …]}
Each step carries the `written` that holds once Slack accepted it, so the updater can record
progress after every call and a crash repeats at most one step."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from bot.canvas.layout import BODY_SECTIONS, SECTIONS, CanvasView


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where an operation applies: a heading we created (its id is stored), or an element we wrote,
    found again by the text it starts with."""

    heading: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    operation: str  # insert_after | insert_before | replace | delete
    anchor: Anchor
    markdown: str | None
    written: dict[str, Any]
    # When the anchor element cannot be found any more (a responder removed it): what to do instead.
    fallback: Anchor | None = None


def _next_heading(section: str) -> str | None:
    i = SECTIONS.index(section)
    return SECTIONS[i + 1] if i + 1 < len(SECTIONS) else None


def plan(written: dict[str, Any], view: CanvasView) -> list[Step]:
    """Every step, most urgent first: timeline removals and corrections, new timeline lines (one
    step per run of consecutive new lines), then the replaced bodies in document order."""
    state = copy.deepcopy(written)
    state.setdefault("bodies", {})
    lines: list[list[str]] = [list(x) for x in state.get("timeline", [])]
    state["timeline"] = lines
    steps: list[Step] = []
    wanted = dict(view.timeline)

    def snapshot() -> dict[str, Any]:
        return copy.deepcopy(state)

    for ts, line in list(lines):
        if ts not in wanted:
            lines.remove([ts, line])
            steps.append(Step("delete", Anchor(text=line), None, snapshot()))
    for item in lines:
        ts, line = item
        if wanted[ts] != line:
            item[1] = wanted[ts]
            fallback = Anchor(heading="timeline")
            steps.append(Step("replace", Anchor(text=line), wanted[ts], snapshot(), fallback=fallback))

    have = {ts for ts, _ in lines}
    order = [ts for ts, _ in view.timeline]
    i = 0
    while i < len(order):
        if order[i] in have:
            i += 1
            continue
        run_end = i
        while run_end < len(order) and order[run_end] not in have:
            run_end += 1
        run = [[ts, wanted[ts]] for ts in order[i:run_end]]
        previous = order[i - 1] if i else None
        at = next((k for k, (ts, _) in enumerate(lines) if ts == previous), -1) if previous else -1
        lines[at + 1 : at + 1] = run
        have.update(ts for ts, _ in run)
        anchor = Anchor(text=wanted[previous]) if previous else Anchor(heading="timeline")
        steps.append(
            Step(
                "insert_after",
                anchor,
                "\n".join(line for _, line in run),
                snapshot(),
                fallback=Anchor(heading=_next_heading("timeline")),
            )
        )
        i = run_end

    for name in BODY_SECTIONS:
        old, new = state["bodies"].get(name), view.bodies[name]
        if old == new:
            continue
        state["bodies"][name] = new
        if old is None:
            steps.append(Step("insert_after", Anchor(heading=name), new, snapshot()))
        else:
            steps.append(Step("replace", Anchor(text=old), new, snapshot(), fallback=Anchor(heading=name)))
    return steps


def initial_written(view: CanvasView, headings: dict[str, str]) -> dict[str, Any]:
    """What a canvas created from `document(view)` holds."""
    return {
        "headings": headings,
        "bodies": dict(view.bodies),
        "timeline": [[ts, line] for ts, line in view.timeline],
    }
