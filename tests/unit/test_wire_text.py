"""Text a person wrote arrives in Slack's wire form (`&lt;`, `&gt;`, `&amp;`, `<@U1|alice>` markup)
and every output decodes it exactly once for its medium: the draft and the canvas as Markdown, the
catch-up, review and follow-up messages as Slack mrkdwn. Nothing reads `&amp;lt;`, no raw HTML tag,
no script link, no broadcast."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.canvas.layout import canvas_view
from bot.catchup import catchup_blocks
from bot.domain import FollowUp, Incident, TimelineEntry
from bot.followups import blocks as fb
from bot.postmortem.render import TemplateRenderer, markdown_safe
from bot.postmortem.text import ZWJ, mrkdwn, truncate_wire, wire_markdown
from bot.review import review_blocks
from tests.unit.inc1042_entries import assert_tables_intact, report_for

T0 = datetime(2026, 2, 10, 10, 0, tzinfo=UTC)
# As Slack delivers `<img src=x onerror=alert(1)> R&D [go](javascript:alert(1)) @channel cc @alice`.
WIRE = "&lt;img src=x onerror=alert(1)&gt; R&amp;D [go](javascript:alert(1)) <!channel> cc <@U1|alice>"
# The same, as the draft and the canvas must show it: `<` escaped once, `&` as typed, the scheme broken
# (`&lt;!channel>` is no broadcast; a line of prose also gets the joiner, `&lt;!\u200dchannel>`).
MD = f"&lt;img src=x onerror=alert(1)> R&D [go](javascript{ZWJ}:alert(1)) &lt;!channel> cc @alice"
MD_LINE = MD.replace("<!", "<!" + ZWJ).replace("&lt;!", "&lt;!" + ZWJ)
# As Slack mrkdwn it already is; only the broadcast is broken.
MRKDWN = (
    f"&lt;img src=x onerror=alert(1)&gt; R&amp;D [go](javascript:alert(1)) <!{ZWJ}channel> cc <@U1|alice>"
)
# `/postmortem followup add @dave <img src=x> & more` as the slash command delivers the description.
FU_WIRE = "&lt;img src=x&gt; &amp; more <!channel>"
RECORD = "Status set to mitigated by <@U00000003|carol>"

RENDERER = TemplateRenderer()
INCIDENT = Incident("C1", "inc-7", "open", T0, commander_id="U00000002", id=1)
ENTRIES = [
    TimelineEntry("C1", "1.1", T0, "decision", WIRE, author_id="U00000003", author_name="carol", id=1),
    TimelineEntry("C1", "1.2", T0 + timedelta(minutes=1), "note", RECORD, author_id="U00000003", id=2),
    TimelineEntry(
        "C1", "1.3", T0 + timedelta(minutes=2), "note", "new IC is <@U00000004>", author_id="U00000002", id=3
    ),
]
FOLLOWUPS = [
    FollowUp(1, "C1", "U00000004", FU_WIRE, "U00000003", T0, owner_name="dave", due=date(2026, 2, 20))
]


def assert_clean(out: str, *, markdown: bool = True) -> None:
    """No double escape, no raw tag, no ping; in Markdown no script link (mrkdwn has no such links)."""
    low = out.lower()
    for bad in ("&amp;lt;", "&amp;gt;", "&amp;amp;", "<img", "<!channel>", "@channel"):
        assert bad not in low, bad
    assert not markdown or "javascript:" not in low


def test_markdown_decodes_once_and_escapes_once() -> None:
    assert markdown_safe(WIRE) == MD
    assert markdown_safe(MD) == MD  # idempotent: made safe twice reads the same
    # A person who typed an entity sees the entity, not the character it stands for.
    assert markdown_safe("&amp;lt;b&amp;gt; &amp;#58;") == "&amp;lt;b&amp;gt; &amp;#58;"
    assert markdown_safe("see <https://x.io/?a=1&amp;b=2|the docs> or <https://y.io>") == (
        "see the docs (https://x.io/?a=1&b=2) or https://y.io"
    )
    assert markdown_safe("<#C1|inc-7> <@U2>") == "#inc-7 @U2"


FOLLOWUP_IN = {
    "postmortem": f"| &lt;img src=x> & more &lt;!{ZWJ}channel> | dave | 2026-02-20 |",
    "brief": f"- &lt;img src=x> & more &lt;!{ZWJ}channel> — dave, due 2026-02-20",
}


@pytest.mark.parametrize("name", ["postmortem", "brief"])
def test_draft_shows_what_was_typed(name: str) -> None:
    out = RENDERER.render(name, report_for(ENTRIES, FOLLOWUPS))
    assert_tables_intact(out)
    assert_clean(out)
    assert FOLLOWUP_IN[name] in out
    if name == "postmortem":
        assert f"| decision |  |  | carol: {MD} |" in out
        assert f"**10:00 UTC — {MD_LINE}** (carol)" in out
        assert "| U00000003: Status set to mitigated by @carol |" in out


def test_canvas_shows_what_was_typed_with_names() -> None:
    text = RENDERER.env.get_template("live/canvas.j2").module
    view = canvas_view(INCIDENT, ENTRIES, FOLLOWUPS, tz=UTC, text=text)
    lines = [line for _, line in view.timeline]
    assert lines == [
        f"- 10:00:00 · decision — {MD_LINE}",
        "- 10:01:00 · note — Status set to mitigated by @carol",
        "- 10:02:00 · note — new IC is @dave",  # the name the record knows, not the id
    ]
    assert view.bodies["followups"] == (
        f"Follow-ups: 1 (1 open) — #1 dave: &lt;img src=x> & more &lt;!{ZWJ}channel>, due 2026-02-20, open"
    )
    assert_clean("\n".join([*lines, *view.bodies.values()]))


def test_canvas_mentions_someone_it_cannot_name() -> None:
    assert wire_markdown("ping <@U9>", lambda s, i, label: label or f"![]({s}{i})") == "ping ![](@U9)"
    text = RENDERER.env.get_template("live/canvas.j2").module
    entry = TimelineEntry("C1", "1.4", T0, "note", "paging <@U9> &amp; <@U1|alice>")
    incident = Incident(
        "C1", "inc-7", "open", T0, commander_id="U8", commander_set_by="U1", commander_set_at=T0
    )
    view = canvas_view(incident, [entry], [], tz=UTC, text=text)
    assert view.timeline[0][1] == "- 10:00:00 · note — paging ![](@U9) & @alice"
    assert "Commander: ![](@U8)" in view.bodies["status"]


def test_catchup_keeps_the_wire_form() -> None:
    text = RENDERER.env.get_template("live/catchup.j2").module
    now = T0 + timedelta(hours=1)
    _, blocks = catchup_blocks(INCIDENT, ENTRIES, FOLLOWUPS, now=now, tz=UTC, text=text)
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert sections[0].startswith("*Status:* open   *Severity:* unknown   *Commander:* <@U00000004|dave>")
    assert sections[1] == (
        "*Latest key events*\n"
        f"• `10:00` decision — {MRKDWN}\n"
        "• `10:01` note — Status set to mitigated by <@U00000003|carol>\n"
        "• `10:02` note — new IC is <@U00000004>"
    )
    assert sections[3] == f"*Latest decisions*\n• `10:00` {MRKDWN}"
    described = f"&lt;img src=x&gt; &amp; more <!{ZWJ}channel>"
    assert sections[4] == f"*Open follow-ups*\n• #1 <@U00000004|dave>: {described} (due 2026-02-20)"
    assert_clean(json.dumps(blocks, ensure_ascii=False), markdown=False)


def test_review_keeps_the_wire_form() -> None:
    texts = RENDERER.env.get_template("incident_state.j2").module
    _, blocks = review_blocks(ENTRIES[:2], 2, texts, UTC)
    shown = [b["text"]["text"] for b in blocks if b["type"] == "section"][1:]
    assert shown == [
        f"*10:00 UTC* · `decision` · carol\n{MRKDWN}",
        "*10:01 UTC* · `note` · U00000003\nStatus set to mitigated by <@U00000003|carol>",
    ]


def test_followup_messages_keep_the_wire_form() -> None:
    zone = ZoneInfo("UTC")
    described = f"&lt;img src=x&gt; &amp; more <!{ZWJ}channel>"
    assert fb.list_text(FOLLOWUPS, T0, zone, title="Follow-ups") == (
        f"*Follow-ups*\n• *#1* {described} (<#C1>) — <@U00000004>, due 2026-02-20, medium, open"
    )
    digest = fb.digest_blocks(FOLLOWUPS, T0, zone)
    assert digest[1]["text"]["text"] == f"*#1* {described}\n<#C1> · due 2026-02-20 · priority 🟡 medium"
    assert fb.digest_text(FOLLOWUPS) == f"You have 1 follow-up due: #1 {described}"
    assert described in fb.escalation_text(FOLLOWUPS, T0, zone, 3)
    assert_clean(json.dumps(digest, ensure_ascii=False), markdown=False)


def test_mrkdwn_never_escapes_again() -> None:
    assert mrkdwn(WIRE) == MRKDWN
    assert mrkdwn(mrkdwn(WIRE)) == MRKDWN


def test_a_cut_never_leaves_half_a_mention_or_entity() -> None:
    assert truncate_wire("abc <@U12345|alice> tail", 12) == "abc…"
    assert truncate_wire("abc &amp;lt; tail", 9) == "abc…"
    assert truncate_wire("a &lt;b&gt; c", 11) == "a &lt;b…"
    assert truncate_wire("short", 10) == "short"
    long = FollowUp(2, "C1", "U1", "x" * 195 + " <@U00000004|dave> and more", "U1", T0)
    assert fb.list_text([long], T0, ZoneInfo("UTC"), title="F").startswith("*F*\n• *#2* " + "x" * 195 + "…")
