"""Chatter a black-box review found moving the incident's record, end to end: a work item "resolved"
left the incident shown resolved while its alert still fired, and a conditional offer of command made
the poster commander. Message events through the bot's real `/slack/events`, the draft as the
simulated Slack received it, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest

from storage import entries as entry_store
from tests.e2e.harness import Harness
from tests.e2e.test_state import HHMM, draft, header, people, record


@pytest.fixture
async def h(db_url: str) -> Any:
    async with Harness(db_url) as harness:
        yield harness


async def kinds(h: Harness, channel: str) -> dict[str, str]:
    """Each stored entry's kind by its text."""
    incident = await record(h, channel)
    async with h.db.session() as session:
        return {e.text: e.kind for e in await entry_store.timeline(session, incident.id or 0)}


async def test_a_work_item_resolved_leaves_the_incident_open(h: Harness) -> None:
    alice, bob, carol, _ = people(h)
    chan = h.sim.add_channel("inc-600-search", members=[alice, bob, carol])
    alert = {"title": "[FIRING:1] SearchLatencyHigh search prod", "text": "p99 4s"}
    await h.sim.post_message(chan, None, "", attachments=[alert], username="Alertmanager")
    await h.sim.post_message(chan, bob, "ack, looking")
    chatter = (
        "the jira ticket INC-77 is resolved",
        "Jira INC-77 moved to Resolved",
        "PR #881 closed",
        "ticket marked as resolved",
        "we're closing in on it, resolved the DNS part",
    )
    for text in chatter:
        await h.sim.post_message(chan, carol, text)
    assert (await record(h, chan)).status == "open"
    stored = await kinds(h, chan)
    assert {text: stored[text] for text in chatter} == dict.fromkeys(chatter, "other")
    md = await draft(h, chan, alice)
    assert header(md, "Status") == "open (nothing set with /postmortem status or said in the channel)"
    # The same channel still closes when the incident itself is said to be.
    await h.sim.post_message(chan, carol, "INC-600 resolved, all clear")
    assert (await record(h, chan)).status == "resolved"


async def test_a_conditional_offer_of_command_names_no_commander(h: Harness) -> None:
    alice, bob, carol, dave = people(h)
    chan = h.sim.add_channel("inc-601-search", members=[alice, bob, carol, dave])
    offers = (
        (alice, "I'll take IC if nobody else does"),
        (bob, "if nobody else does, I'll take IC"),
        (carol, "I'll be IC unless someone else wants it"),
        (dave, "happy to take IC if you want"),
    )
    for who, text in offers:
        await h.sim.post_message(chan, who, text)
    assert (await record(h, chan)).commander_id is None
    stored = await kinds(h, chan)
    assert {text: stored[text] for _who, text in offers} == dict.fromkeys((t for _w, t in offers), "decision")
    md = await draft(h, chan, alice)
    assert header(md, "Incident Commander") == (
        "unknown (nothing set with /postmortem ic or said in the channel — _fill in_)"
    )
    # A claim made is still one.
    await h.sim.post_message(chan, alice, "ok, taking IC")
    assert (await record(h, chan)).commander_id == alice
    md = await draft(h, chan, bob)
    assert re.fullmatch(
        rf"alice \(inferred from the {HHMM} `ack` entry by @alice\)", header(md, "Incident Commander")
    )
