"""Where a read for a message the database could not store starts: just before it, and a walk
under way is kept only when it reads that message."""

from __future__ import annotations

from bot.capture.backfill import just_before
from storage.history import covers, earlier
from storage.models import ChannelHistoryRow


def walk(oldest: str | None, newest: str | None = None, *, cursor: str | None = None) -> ChannelHistoryRow:
    return ChannelHistoryRow(
        channel_id="C1",
        walk_oldest=oldest,
        walk_newest=newest,
        walk_cursor=cursor,
        walk_pages_done=False,
        walk_threads=[],
        paced=False,
    )


def test_just_before_includes_the_message_at_ts() -> None:
    assert just_before("1700000000.000100") == "1700000000.000099"
    assert just_before("1700000001.000000") == "1700000000.999999"
    assert float(just_before("1770712345.123456")) < 1770712345.123456


def test_a_walk_covers_what_lies_between_its_oldest_and_its_first_page() -> None:
    assert not covers(walk(None), "1700000000.000100")
    # Not read a page yet: it reads everything after its oldest.
    assert covers(walk("1700000000.000050"), "1700000000.000100")
    # Its first page was read: a message newer than that page is not in it.
    assert covers(walk("1700000000.000050", "1700000000.000200", cursor="c"), "1700000000.000100")
    assert not covers(walk("1700000000.000050", "1700000000.000090", cursor="c"), "1700000000.000100")
    # A gap older than where the walk starts.
    assert not covers(walk("1700000000.000100"), "1700000000.000100")


def test_a_walk_widened_keeps_the_earlier_start() -> None:
    assert earlier(None, "1700000000.000099") == "1700000000.000099"
    assert earlier("1700000000.000010", "1700000000.000099") == "1700000000.000010"
    assert earlier("1700000000.000500", "1700000000.000099") == "1700000000.000099"
