"""The `/postmortem review` blocks (bot.review.review_blocks, pure) stay within Slack's limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import ALL_KINDS, TimelineEntry
from bot.postmortem.render import TemplateRenderer
from bot.review import ACTION_SET_KIND, ACTION_TAKE_OUT, MAX_ENTRIES, parse_kind_choice, review_blocks
from bot.simulator.state import validate_blocks

T0 = datetime(2026, 2, 10, 10, 0, tzinfo=UTC)
TEXTS = TemplateRenderer().env.get_template("incident_state.j2").module


def entry(i: int, confidence: str = "weak") -> TimelineEntry:
    return TimelineEntry(
        channel_id="C1", ts=f"{1770717600 + i}.000100", occurred_at=T0 + timedelta(minutes=i), kind="deploy",
        text="<!channel> " + "x" * 5000, author_id="U1", author_name="alice", confidence=confidence, id=i,  # type: ignore[arg-type]
    )  # fmt: skip


def test_a_long_review_fits_one_slack_message() -> None:
    entries = [entry(i) for i in range(MAX_ENTRIES)]
    text, blocks = review_blocks(entries, 40, TEXTS, UTC)
    validate_blocks(blocks)  # the simulator's copy of Slack's limits: 50 blocks, 3,000 a section…
    assert len(blocks) <= 50 and "of 40" in text
    assert "25 more not shown" in str(blocks[-1])
    assert "<!channel>" not in str(blocks)  # user text cannot broadcast
    first = blocks[2]
    select, button = first["elements"]
    assert select["action_id"] == ACTION_SET_KIND and len(select["options"]) == len(ALL_KINDS)
    assert select["initial_option"]["value"] == "0:deploy"
    assert (button["action_id"], button["value"]) == (ACTION_TAKE_OUT, "0")
    assert "_unconfirmed_" in blocks[1]["text"]["text"]


def test_nothing_to_review() -> None:
    text, blocks = review_blocks([], 0, TEXTS, UTC)
    assert text.startswith("Nothing to review") and len(blocks) == 1


def test_kind_choice_values() -> None:
    assert parse_kind_choice("12:mitigated") == (12, "mitigated")
    assert parse_kind_choice("12:closed") is None
    assert parse_kind_choice("x:note") is None
    assert parse_kind_choice("") is None
