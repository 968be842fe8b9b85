"""The `/postmortem draft` channel summary shows wire-form text as Slack mrkdwn exactly once: what a
person typed is kept as Slack delivered it (no `&amp;lt;`), broadcasts are broken, mentions stay."""

from __future__ import annotations

import json
from datetime import date, timedelta

from bot.domain import FollowUp, TimelineEntry
from bot.postmortem.summary import summary_blocks
from bot.postmortem.text import ZWJ
from tests.unit import inc1042_entries as inc
from tests.unit.inc1042_entries import report_for
from tests.unit.test_wire_text import MRKDWN, WIRE

# `/postmortem followup add @dave <img src=x> R&D <!channel> cc @alice` as the slash command stores it.
FU_WIRE = "&lt;img src=x&gt; R&amp;D <!channel> cc <@U1|alice>"


def _entry(n: int, kind: str, text: str, refs: dict | None = None) -> TimelineEntry:
    return TimelineEntry(
        inc.CHANNEL,
        f"1770717600.{n:06d}",
        inc.T0 + timedelta(minutes=n),
        kind,
        text,
        refs=refs or {},
        author_id="U00000003",
        author_name="carol",
    )


ENTRIES = [
    _entry(0, "decision", WIRE),
    _entry(
        1,
        "deploy",
        "Deploying checkout v1.2.0 &amp; the &lt;new&gt; cache",
        {"service": "checkout", "version": "v1.2.0", "change_id": "CHG-7"},
    ),
    _entry(
        2,
        "rollback",
        "rolling back checkout to v1.1.0 &amp; paging <!channel>",
        {"service": "checkout", "version": "v1.1.0"},
    ),
]
FOLLOWUPS = [
    FollowUp(
        1, inc.CHANNEL, "U00000004", FU_WIRE, "U00000003", inc.T0, owner_name="dave", due=date(2026, 2, 20)
    )
]


def sections(blocks: list[dict]) -> dict[str, str]:
    """Section text by its bold title line."""
    out = {}
    for b in blocks:
        if b["type"] == "section" and "text" in b:
            title, _, body = b["text"]["text"].partition("\n")
            out[title] = body
    return out


def assert_clean(out: str) -> None:
    for bad in ("&amp;lt;", "&amp;gt;", "&amp;amp;", "<img", "<!channel>", "<!here", "@channel", "@here"):
        assert bad not in out, bad


def test_decisions_and_followups_keep_the_wire_form() -> None:
    blocks, fallback = summary_blocks(report_for(ENTRIES, FOLLOWUPS), version=1, changed=None)
    shown = sections(blocks)
    assert shown["*Decisions*"] == f"• `10:00` {MRKDWN}"
    assert shown["*Follow-ups due (1 of 1 open)*"] == (
        f"• &lt;img src=x&gt; R&amp;D <!{ZWJ}channel> cc <@U1|alice> — dave, due 2026-02-20"
    )
    assert_clean(json.dumps(blocks, ensure_ascii=False) + fallback)


def test_rollback_and_change_lines_are_escaped_once() -> None:
    blocks, fallback = summary_blocks(report_for(ENTRIES, FOLLOWUPS), version=1, changed=None)
    rollback = "checkout: Failed version v1.2.0 → rolled back to v1.1.0"
    changes = sections(blocks)["*Changes*"].split("\n")
    assert changes[0] == f"*{rollback}*"
    assert changes[1].startswith("• deploy `CHG-7` checkout ? → v1.2.0 — ")
    assert rollback in fallback.split("\n")
    fields = next(b["fields"] for b in blocks if b["type"] == "section" and "fields" in b)
    assert {"type": "mrkdwn", "text": "*Services*\ncheckout"} in fields


def test_plain_values_are_escaped_and_never_broadcast() -> None:
    """A value that never was wire text (the "what changed" line, a profile name) is escaped once."""
    fus = [FollowUp(2, inc.CHANNEL, "U9", "x", "U3", inc.T0, owner_name="R&D <!here>", due=date(2026, 2, 20))]
    changed = "since v1: R&D <!channel> @here"
    blocks, fallback = summary_blocks(report_for(ENTRIES[:1], fus), version=2, changed=changed)
    assert sections(blocks)["*Follow-ups due (1 of 1 open)*"] == "• x — R&amp;D &lt;!here&gt;, due 2026-02-20"
    context = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert f"since v1: R&amp;D &lt;!channel&gt; @{ZWJ}here" in context
    assert fallback.endswith(f"\nsince v1: R&amp;D &lt;!channel&gt; @{ZWJ}here")
    assert_clean(json.dumps(blocks, ensure_ascii=False) + fallback)


def test_a_long_description_is_cut_before_a_mention() -> None:
    long = FollowUp(
        3, inc.CHANNEL, "U9", "y" * 190 + " <@U00000004|dave> and more", "U3", inc.T0, due=date(2026, 2, 20)
    )
    blocks, _ = summary_blocks(report_for([], [long]), version=1, changed=None)
    line = sections(blocks)["*Follow-ups due (1 of 1 open)*"]
    assert line == "• " + "y" * 190 + "… — U9, due 2026-02-20"
