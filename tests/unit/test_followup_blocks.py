from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain import FollowUp
from bot.followups import blocks

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ZONE = ZoneInfo("UTC")


def item(id: int, **kw: object) -> FollowUp:
    base: dict[str, object] = {
        "channel_id": "C1",
        "owner_id": "UA",
        "description": f"Fix thing {id}",
        "created_by": "UC",
        "created_at": NOW - timedelta(days=3),
        "due": date(2026, 11, 22),
        "priority": "high",
        "channel_name": "inc-db",
    }
    base.update(kw)
    return FollowUp(id=id, **base)  # type: ignore[arg-type]


def test_digest_lists_each_item_with_incident_due_priority_and_buttons() -> None:
    out = blocks.digest_blocks([item(1), item(2, due=date(2026, 11, 20), priority="low")], NOW, ZONE)
    assert out[0]["type"] == "header"
    assert out[0]["text"]["text"] == "You have 2 follow-ups due"
    section = out[1]
    assert section["type"] == "section" and section["block_id"] == "followup:1"
    text = section["text"]["text"]
    assert "*#1* Fix thing 1" in text and "<#C1>" in text
    assert "due 2026-11-22 (1 day overdue)" in text and "high" in text
    actions = out[2]
    assert actions["type"] == "actions" and actions["block_id"] == "followup_actions:1"
    assert [e["action_id"] for e in actions["elements"]] == list(blocks.ACTIONS)
    assert [e["text"]["text"] for e in actions["elements"]] == ["Done", "Snooze 1 day", "Snooze 1 week"]
    assert {e["value"] for e in actions["elements"]} == {"1"}
    assert "(3 days overdue)" in out[3]["text"]["text"]
    assert blocks.item_ids_in(out) == [1, 2]


def test_done_item_has_no_buttons_and_says_who_closed_it() -> None:
    done = item(1, status="done", done_by="UA", done_at=NOW)
    out = blocks.digest_blocks([done, item(2)], NOW, ZONE)
    assert out[0]["text"]["text"] == "You have 1 follow-up due"
    assert [b["type"] for b in out] == ["header", "section", "section", "actions"]
    assert "~Fix thing 1~" in out[1]["text"]["text"] and "✅ Done by <@UA>" in out[1]["text"]["text"]
    assert blocks.item_ids_in(out) == [1, 2]


def test_all_done_header() -> None:
    out = blocks.digest_blocks([item(1, status="done")], NOW, ZONE)
    assert out[0]["text"]["text"].startswith("All caught up")


def test_snoozed_item_says_until_when() -> None:
    out = blocks.digest_blocks([item(1, snoozed_until=NOW + timedelta(days=1))], NOW, ZONE)
    assert "Snoozed until 2026-11-24 10:00 UTC" in out[1]["text"]["text"]


def test_redacted_item_hides_description_and_channel() -> None:
    out = blocks.digest_blocks([item(1, description="secret acquisition")], NOW, ZONE, redacted={1})
    text = out[1]["text"]["text"]
    assert "secret" not in text and "<#C1>" not in text and "private channel" in text
    assert "secret" not in blocks.digest_text([item(1, description="secret acquisition")], {1})


def test_block_cap_is_respected() -> None:
    out = blocks.digest_blocks([item(i) for i in range(1, 41)], NOW, ZONE)
    assert len(out) <= 50
    assert out[-1]["type"] == "context" and "20 more" in out[-1]["elements"][0]["text"]


def test_permalink_is_used_when_known() -> None:
    out = blocks.digest_blocks([item(1)], NOW, ZONE, permalinks={1: "https://x.slack.com/archives/C1/p1"})
    assert "<https://x.slack.com/archives/C1/p1|#inc-db>" in out[1]["text"]["text"]


def test_digest_text_is_a_short_summary() -> None:
    assert blocks.digest_text([item(1)]) == "You have 1 follow-up due: #1 Fix thing 1"
    assert "and 2 more" in blocks.digest_text([item(i) for i in range(1, 8)])


def test_list_text() -> None:
    failing = item(2, delivery_error="user_not_found", priority="low", due=None)
    text = blocks.list_text([item(1), failing], NOW, ZONE, title="Follow-ups in #inc-db", show_channel=False)
    lines = text.splitlines()
    assert lines[0] == "*Follow-ups in #inc-db*"
    assert lines[1].startswith("• *#1* Fix thing 1 — <@UA>, due 2026-11-22 (1 day overdue), high, open")
    assert "no due date" in lines[2] and "reminder DM failed: user_not_found" in lines[2]
    assert "<#C1>" not in text
    assert blocks.list_text([], NOW, ZONE, title="Your open follow-ups") == "Your open follow-ups: none."
    mine = blocks.list_text([item(1, description="secret")], NOW, ZONE, title="Yours", redacted={1})
    assert "secret" not in mine and "private channel" in mine


def test_escalation_and_postmortem_texts() -> None:
    text = blocks.escalation_text([item(1, due=date(2026, 11, 19))], NOW, ZONE, 3)
    assert "<#C1>" in text and "<@UA>" in text and "4 days overdue" in text
    pm = blocks.postmortem_due_text("C1", NOW - timedelta(hours=72), ZONE, to_channel=False, due_hours=72)
    assert "<#C1>" in pm and "/postmortem draft" in pm and "within 72 hours" in pm
