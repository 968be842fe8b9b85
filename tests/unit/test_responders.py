"""A responder is one person whatever path their entries took (live with a name, read back with only
a user id, or both): the draft lists them once, by name when any of their entries has it."""

from __future__ import annotations

from dataclasses import replace

from tests.unit import inc1042_entries as inc
from tests.unit.inc1042_entries import report_for


def test_one_responder_per_user_id_named_when_any_entry_has_the_name() -> None:
    entries = inc.entries()
    alice = next(e for e in entries if e.author_name == "alice")
    carol = next(e for e in entries if e.author_name == "carol")
    # The same people, read back from history before their names were known, first in time.
    nameless = [
        replace(alice, ts="1770700000.000001", author_name=None, occurred_at=entries[0].occurred_at),
        replace(carol, ts="1770700000.000002", author_name=None),
    ]
    report = report_for([*nameless, *entries])
    assert report.responders == ("alice", "carol", "dave", "bob")


def test_a_responder_never_named_is_their_user_id_once() -> None:
    entries = inc.entries()
    dave = [replace(e, author_name=None) for e in entries if e.author_name == "dave"]
    assert len(dave) > 1
    others = [e for e in entries if e.author_name != "dave"]
    report = report_for([*others, *dave])
    assert report.responders.count(dave[0].author_id) == 1
    assert "dave" not in report.responders
