from __future__ import annotations

from datetime import date

import pytest

from bot.followups.grammar import (
    USAGE,
    AddCommand,
    DoneCommand,
    ListCommand,
    UsageError,
    parse,
    parse_mention,
)

TODAY = date(2026, 11, 23)


def test_add_with_escaped_mention_due_and_priority() -> None:
    cmd = parse("add <@U123|alice> Add a canary for the config push due:2026-12-01 priority:high", TODAY)
    assert cmd == AddCommand(
        owner_id="U123",
        owner_name="alice",
        description="Add a canary for the config push",
        due=date(2026, 12, 1),
        priority="high",
    )


def test_add_with_bare_mention_defaults() -> None:
    cmd = parse("add <@U9ABC> write the runbook", TODAY)
    assert isinstance(cmd, AddCommand)
    assert (cmd.owner_id, cmd.owner_name, cmd.due, cmd.priority) == ("U9ABC", None, None, "medium")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("tomorrow", date(2026, 11, 24)),
        ("today", TODAY),
        ("+3d", date(2026, 11, 26)),
        ("+2w", date(2026, 12, 7)),
        ("2026-11-30", date(2026, 11, 30)),
        ("TOMORROW", date(2026, 11, 24)),
    ],
)
def test_due_forms(value: str, expected: date) -> None:
    cmd = parse(f"add <@U1> thing due:{value}", TODAY)
    assert isinstance(cmd, AddCommand) and cmd.due == expected and not cmd.due_in_past


def test_past_due_is_allowed_but_flagged() -> None:
    cmd = parse("add <@U1> thing due:2026-11-22", TODAY)
    assert isinstance(cmd, AddCommand) and cmd.due_in_past and cmd.due == date(2026, 11, 22)


def test_options_in_any_order_and_mid_text() -> None:
    cmd = parse("add <@U1> priority:low due:+1d fix the cache", TODAY)
    assert isinstance(cmd, AddCommand)
    assert (cmd.description, cmd.priority, cmd.due) == ("fix the cache", "low", date(2026, 11, 24))


def test_colons_inside_description_stay_text() -> None:
    cmd = parse("add <@U1> note: see https://example.com/x:y and 10:30 slot priority:high", TODAY)
    assert isinstance(cmd, AddCommand)
    assert cmd.description == "note: see https://example.com/x:y and 10:30 slot"
    assert cmd.priority == "high"


def test_trailing_url_is_description() -> None:
    cmd = parse("add <@U1> read https://example.com/runbook", TODAY)
    assert isinstance(cmd, AddCommand) and cmd.description == "read https://example.com/runbook"


def test_list_and_done() -> None:
    assert parse("list", TODAY) == ListCommand(mine=False)
    assert parse("list mine", TODAY) == ListCommand(mine=True)
    assert parse("LIST Mine", TODAY) == ListCommand(mine=True)
    assert parse("done 12", TODAY) == DoneCommand(item_id=12)
    assert parse("done #7", TODAY) == DoneCommand(item_id=7)


@pytest.mark.parametrize(
    ("text", "reason_part"),
    [
        ("", "Missing subcommand"),
        ("   ", "Missing subcommand"),
        ("add", "needs an owner"),
        ("add fix the thing", "must be the owner"),
        ("add @alice fix the thing", "not a Slack user mention"),
        ("add <@U1>", "needs a description"),
        ("add <@U1> due:2026-12-01", "needs a description"),
        ("add <@U1> fix it prio:high", "Unknown option `prio:`"),
        ("add <@U1> fix it owner:bob due:+1d", "Unknown option `owner:`"),
        ("add <@U1> fix it due:2026-13-45", "is not a date"),
        ("add <@U1> fix it due:next-week", "is not a date"),
        ("add <@U1> fix it due:", "needs a value"),
        ("add <@U1> fix it priority:urgent", "is not a priority"),
        ("add <@U1> fix it due:+1d due:+2d", "given twice"),
        ("list everything", "`list` takes"),
        ("done", "exactly one follow-up id"),
        ("done abc", "is not a follow-up id"),
        ("done 0", "is not a follow-up id"),
        ("done 1 2", "exactly one"),
        ("frobnicate", "Unknown followup subcommand"),
    ],
)
def test_malformed_commands_explain_and_show_usage(text: str, reason_part: str) -> None:
    with pytest.raises(UsageError) as info:
        parse(text, TODAY)
    assert reason_part in info.value.reason
    assert "\n" not in info.value.reason  # one line
    assert str(info.value).endswith(USAGE)


def test_parse_mention() -> None:
    assert parse_mention("<@U1|a.b>") == ("U1", "a.b")
    assert parse_mention("<@W1>") == ("W1", None)
    assert parse_mention("<#C1|general>") is None
    assert parse_mention("@alice") is None


def test_only_the_contract_spellings_are_accepted() -> None:
    for text in ("ls", "close 3", "add <@U1|a> fix it priority:h", "add <@U1|a> fix it priority:med"):
        with pytest.raises(UsageError):
            parse(text, date(2026, 2, 10))
