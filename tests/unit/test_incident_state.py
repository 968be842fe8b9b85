"""The incident's record from commands and trusted entries (bot.incident_state), pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import Incident, TimelineEntry
from bot.incident_state import (
    commander_from_text,
    derive_state,
    incident_changes,
    parse_mention,
    parse_severity,
    parse_status,
    row_changes,
)

NOW = datetime(2026, 2, 10, 11, 0, tzinfo=UTC)
# Values on the row without `_set_by` were inferred earlier: the entries, not the row, say what holds.
INCIDENT = Incident(channel_id="C1", channel_name="inc-1", status="resolved", opened_at=NOW, severity="SEV1")


def values(kind: str, text: str, author_kind: str = "human", confidence: str = "strong") -> dict:
    return {"kind": kind, "text": text, "author_id": "U9", "author_kind": author_kind,
            "occurred_at": NOW, "confidence": confidence}  # fmt: skip


def entry(minute: int, kind: str, text: str, author: str = "UALICE", **kw: object) -> TimelineEntry:
    return TimelineEntry(
        channel_id="C1", ts=f"{1770717600 + minute * 60}.000100", occurred_at=NOW + timedelta(minutes=minute),
        kind=kind, text=text, author_id=author, author_name=author.lower()[1:], **kw,  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "commander"),
    [
        ("IC here", "UPOSTER"),
        ("I'm IC", "UPOSTER"),
        ("taking IC", "UPOSTER"),
        ("ok, taking over as IC", "UPOSTER"),
        ("I'll be the incident commander", "UPOSTER"),
        ("taking IC from <@U7>", "UPOSTER"),
        ("<@U123> is IC now", "U123"),
        ("handing IC to <@U123>", "U123"),
        ("handing over IC to <@U123|carol>", "U123"),
        ("new IC is <@U123>", "U123"),
        ("<@U5> you're IC", "U5"),
        ("new IC is @carol", None),  # no mention: nobody can be named
        ("who is IC?", None),
        ("is <@U5> IC now?", None),
        ("bob is taking IC", None),
        ("I'm not IC", None),
        ("closing the laptop, back in 10", None),
        ("the ICU dashboard is red", None),
    ],
)
def test_commander_only_from_claims_and_handovers(text: str, commander: str | None) -> None:
    found = commander_from_text(text, "UPOSTER")
    assert (found[0] if found else None) == commander


def test_incident_changes_follow_trusted_entries_only() -> None:
    assert incident_changes(values("resolved", "all clear, closing"), "mitigated") == {
        "status": "resolved", "resolved_at": NOW, "resolved_by": "U9",
    }  # fmt: skip
    assert incident_changes(values("resolved", "closing again"), "resolved") == {}
    assert incident_changes(values("mitigated", "recovered"), "open") == {"status": "mitigated"}
    assert incident_changes(values("mitigated", "recovered"), "resolved") == {}
    assert incident_changes(values("ack", "IC here, taking over"), "open") == {
        "commander_id": "U9", "commander_name": None,
    }  # fmt: skip
    assert incident_changes(values("ack", "new IC is <@U2|carol>"), "open") == {
        "commander_id": "U2", "commander_name": "carol",
    }  # fmt: skip
    assert incident_changes(values("ack", "IC here", author_kind="bot"), "open") == {}
    assert incident_changes(values("decision", "Raising to sev-2"), "open") == {"severity": "SEV2"}
    assert incident_changes(values("resolved", "all good", confidence="weak"), "open") == {}
    assert incident_changes(values("ack", "IC here", confidence="weak"), "open") == {}


def test_a_field_set_by_a_person_is_not_inferred() -> None:
    assert incident_changes(values("resolved", "all clear"), "mitigated", {"status"}) == {}
    assert incident_changes(values("ack", "IC here"), "open", {"commander"}) == {}
    assert incident_changes(values("decision", "this is SEV1"), "open", {"severity"}) == {}
    assert incident_changes(values("resolved", "all clear"), "open", {"commander", "severity"})["status"] == (
        "resolved"
    )


def test_command_values() -> None:
    assert [parse_status(w) for w in ("open", "Mitigated", "RESOLVED", "closed", "")] == [
        "open", "mitigated", "resolved", None, None,
    ]  # fmt: skip
    assert [parse_severity(w) for w in ("sev1", "SEV5", "p0", "P4", "SEV0", "SEV6", "P5", "high")] == [
        "SEV1", "SEV5", "P0", "P4", None, None, None, None,
    ]  # fmt: skip
    assert parse_mention("<@U123|carol>") == ("U123", "carol")
    assert parse_mention("<@W42>") == ("W42", None)
    assert parse_mention("bob") is None and parse_mention("@bob") is None


def test_derive_state_with_provenance() -> None:
    entries = [
        entry(1, "ack", "IC here"),
        entry(2, "ack", "new IC is <@UCAROL>", author="UALICE"),
        entry(3, "decision", "this is SEV2 now", author="UBOB"),
        entry(4, "mitigated", "errors back to normal", author="UBOB"),
        entry(5, "resolved", "all clear", confidence="weak"),
        entry(6, "ack", "IC here", author="UDAVE", confidence="weak"),
    ]
    state = derive_state(INCIDENT, entries)
    assert (state.status.value, state.status.via, state.status.kind) == ("mitigated", "chat", "mitigated")
    assert state.status.at == NOW + timedelta(minutes=4) and state.resolved_at is None
    assert (state.commander.value, state.commander.via, state.commander.by) == ("UCAROL", "chat", "UALICE")
    assert (state.severity.value, state.severity.by_name) == ("SEV2", "bob")

    explicit = replace(
        INCIDENT, status="open", status_set_by="UBOB", status_set_at=NOW,
        commander_id="UDAVE", commander_name="dave", commander_set_by="UBOB", commander_set_at=NOW,
    )  # fmt: skip
    state = derive_state(explicit, [*entries, entry(7, "resolved", "closed, all good")])
    assert (state.status.value, state.status.via, state.status.by_name) == ("open", "command", "bob")
    assert (state.commander.value, state.commander.value_name, state.commander.via) == (
        "UDAVE",
        "dave",
        "command",
    )
    assert state.severity.via == "chat"
    assert "status" not in row_changes(state) and row_changes(state)["severity"] == "SEV2"


def test_nothing_says_means_unknown() -> None:
    state = derive_state(INCIDENT, [entry(1, "deploy", "deploying 1.2")])
    assert (state.status.value, state.status.via) == ("open", "unknown")
    assert (state.commander.value, state.commander.via) == (None, "unknown")
    assert (state.severity.value, state.severity.via) == (None, "unknown")
