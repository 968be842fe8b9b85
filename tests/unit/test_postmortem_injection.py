"""User text is data: template syntax stays literal, tables stay intact, broadcasts are neutralised."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import FollowUp, TimelineEntry
from bot.postmortem.render import TemplateRenderer
from bot.postmortem.summary import summary_blocks
from bot.postmortem.text import ZWJ, md_cell, neutralise_mentions, slack_escape
from tests.unit import inc1042_entries as inc
from tests.unit.inc1042_entries import assert_tables_intact, report_for, split_row

HOSTILE = [
    "{{ 7*7 }}",
    "{% for x in y %}loop{% endfor %}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "a | b\nc || d\r\ne \\| f",
    "<!channel> look at this <!here|here> and <!everyone>",
    "@channel @here @everyone <!subteam^S123|@oncall>",
    "x" * 5000,
    '<img src=x onerror="alert(1)"> and <script>alert(2)</script>',
    "[dashboard](javascript:alert(3)) [docs](JavaScript&#58;alert(4)) <javascript:alert(5)>",
    "[pic](data:text/html;base64,PHNjcmlwdD4=) vbscript:msgbox(6)",
]


def hostile_entries() -> list[TimelineEntry]:
    base = inc.entries()
    extra = []
    for i, text in enumerate(HOSTILE):
        extra.append(
            TimelineEntry(
                channel_id=inc.CHANNEL,
                ts=f"1770718000.{900 + i:06d}",
                occurred_at=inc.T0 + timedelta(minutes=15, seconds=i),
                kind="note" if i % 2 else "decision",
                text=text,
                refs={"service": "a|b", "change_id": "{{ 7*7 }}"} if i == 0 else {},
                author_id="U_MAL",
                author_name="mal|lory <!channel>",
                capture="note",
            )
        )
    return base + extra


@pytest.fixture(scope="module")
def report():
    fus = [
        *inc.followups(),
        FollowUp(9, inc.CHANNEL, "U_MAL", "fix | it\n@here {{ 7*7 }}", "U_MAL", inc.NOW, owner_name="m|l"),
    ]
    return report_for(hostile_entries(), fus)


@pytest.mark.parametrize("name", ["postmortem", "rollback", "brief"])
def test_template_syntax_is_literal(report, name):
    out = TemplateRenderer().render(name, report)
    if name != "brief":  # the brief has no timeline
        assert "{{ 7*7 }}" in out
        assert "{% for x in y %}loop{% endfor %}" in out
        assert "x" * 5000 in out  # a long message is kept whole in the draft
    assert "49" not in out.replace("1770718049", "")


@pytest.mark.parametrize("name", ["postmortem", "rollback", "brief"])
def test_tables_intact_and_mentions_neutralised(report, name):
    out = TemplateRenderer().render(name, report)
    assert_tables_intact(out)
    for raw in ("<!channel>", "<!here", "<!everyone>", "<!subteam", "@channel", "@here", "@everyone"):
        assert raw not in out, raw
    if name != "brief":
        assert "&lt;!channel>" in out  # shown as typed, a tag no more
        assert "a \\| b<br>c \\|\\| d<br>e \\\\\\| f" in out


@pytest.mark.parametrize("name", ["postmortem", "rollback", "brief"])
def test_no_raw_html_or_script_links(report, name):
    out = TemplateRenderer().render(name, report).lower()
    for raw in ("<img", "<script", "javascript:", "vbscript:", "data:text/html", "&#58;"):
        assert raw not in out, raw
    if name != "brief":
        assert "&lt;img src=x" in out  # still there to read


def test_custom_template_cannot_print_raw_html(tmp_path, report):
    (tmp_path / "raw.md.j2").write_text("{% for r in timeline %}{{ r.text }}\n{% endfor %}")
    out = TemplateRenderer(tmp_path).render("raw", report).lower()
    assert "<img" not in out and "javascript:" not in out and "<script" not in out


def test_summary_blocks_neutralise(report):
    blocks, text = summary_blocks(report, version=1, changed="since v0: <!channel> @here")
    dumped = json.dumps(blocks, ensure_ascii=False) + text
    for raw in ("<!channel>", "<!here", "@channel", "@here", "@everyone", "<!subteam"):
        assert raw not in dumped


def test_md_cell_rules():
    assert md_cell("a|b") == "a\\|b"
    assert md_cell("a\nb\r\nc") == "a<br>b<br>c"
    assert md_cell("back\\|slash") == "back\\\\\\|slash"
    assert md_cell(None) == ""
    assert md_cell("y" * 50, 10) == "y" * 9 + "…"


def test_neutralise_is_idempotent_and_invisible():
    once = neutralise_mentions("<!channel> @here")
    assert neutralise_mentions(once) == once
    assert once.replace(ZWJ, "") == "<!channel> @here"
    assert neutralise_mentions("mail me at ops@heresy.io") == "mail me at ops@heresy.io"


def test_slack_escape():
    assert slack_escape("<@U1> & <!channel>") == "&lt;@U1&gt; &amp; &lt;!channel&gt;"
    assert slack_escape("@everyone") == f"@{ZWJ}everyone"


def test_custom_template_printing_raw_text_still_neutralised(tmp_path, report):
    (tmp_path / "raw.md.j2").write_text("{% for r in timeline %}{{ r.text }}\n{% endfor %}<!channel>\n")
    out = TemplateRenderer(tmp_path).render("raw", report)
    assert "<!channel>" not in out and "@here" not in out


def test_sandbox_blocks_attribute_escape(tmp_path, report):
    from bot.postmortem.render import TemplateProblem

    (tmp_path / "evil.md.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    with pytest.raises(TemplateProblem) as info:
        TemplateRenderer(tmp_path).render("evil", report)
    assert info.value.lineno == 1


def test_hostile_service_in_change_record(report):
    entry = replace(inc.entries()[3], refs={"service": "a|b\n|c", "change_id": "DEP-1|2", "version": "v|1"})
    out = TemplateRenderer().render("postmortem", report_for([entry]))
    assert_tables_intact(out)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_any_text_stays_one_cell(text):
    row = f"| {md_cell(text)} | x |"
    assert "\n" not in row and "\r" not in row
    assert len(split_row(row)) == 2
    assert split_row(row)[1] == " x "


def test_mentions_read_as_names_and_broadcasts_stay_escaped() -> None:
    from bot.postmortem.render import markdown_safe

    text = "Status set to resolved by <@U0001|alice> in <#C0002|inc-7>, cc <@U0003> <!channel>"
    assert markdown_safe(text) == "Status set to resolved by @alice in #inc-7, cc @U0003 &lt;!channel>"
