"""The live canvas through the real path: signed events → capture → updater → the simulator's
canvases, on SQLite and PostgreSQL. A fast debounce comes from the settings; the budget is the
production one unless a test says otherwise."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.simulator.canvases import Canvas
from tests.e2e.harness import Harness

FRESH = 15.0  # the contract's freshness target, in seconds


async def until(check: Callable[[], Any], timeout: float = FRESH) -> float:
    """Seconds it took for `check()` to hold; fails after `timeout`."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


def canvas(h: Harness, channel: str) -> Canvas | None:
    return h.sim.canvases.canvas_of(channel)


def text_of(h: Harness, channel: str) -> str:
    c = canvas(h, channel)
    return c.markdown if c else ""


def edit_changes(h: Harness) -> list[list[dict[str, Any]]]:
    out = []
    for call in h.sim.calls_to("canvases.edit"):
        changes = call.params["changes"]
        out.append(json.loads(changes) if isinstance(changes, str) else changes)
    return out


def assert_section_by_section(h: Harness) -> None:
    for changes in edit_changes(h):
        assert len(changes) == 1, changes  # Slack accepts one operation per call
        change = changes[0]
        assert not (change["operation"] == "replace" and "section_id" not in change), change


def harness(db_url: str, **settings: Any) -> Harness:
    settings.setdefault("scribe_canvas_debounce_seconds", 0.05)
    return Harness(db_url, **settings)


async def test_entries_reach_the_canvas_and_edits_and_deletes_follow(db_url: str) -> None:
    async with harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-canvas", members=[alice])
        fired = await h.sim.post_message(chan, alice, "ALERT firing: HighErrorRate on search")
        took = await until(lambda: "HighErrorRate on search" in text_of(h, chan))
        assert took < FRESH
        c = canvas(h, chan)
        assert c is not None and c.title.startswith("Live post-mortem")
        headings = [s.markdown for s in c.sections if s.type == "h2"]
        assert headings == [
            "## Status", "## Timeline", "## Alerts", "## Metrics", "## Follow-ups", "## Post-mortem"
        ]  # fmt: skip

        await h.sim.post_message(chan, alice, "lol my coffee machine is also down")
        ack = await h.sim.post_message(chan, alice, "ack, I'm on it")
        await until(lambda: "ack, I'm on it" in text_of(h, chan))
        assert "coffee machine" not in text_of(h, chan)  # `other` never reaches the canvas

        await h.sim.edit_message(chan, ack.ts, "ack, looking at the search pods")
        await until(lambda: "looking at the search pods" in text_of(h, chan))
        assert "ack, I'm on it" not in text_of(h, chan)

        await h.sim.delete_message(chan, fired.ts)
        await until(lambda: "HighErrorRate on search" not in text_of(h, chan))

        assert len(h.sim.calls_to("conversations.canvases.create")) == 1
        assert h.sim.calls_to("canvases.edit"), "updates go through canvases.edit"
        assert_section_by_section(h)
        # Each timeline line is there once, in time order.
        lines = [s.markdown for s in canvas(h, chan).sections if s.markdown.startswith("- ")]  # type: ignore[union-attr]
        assert len(lines) == 1 and "looking at the search pods" in lines[0]


async def test_a_burst_is_coalesced_into_few_edits(db_url: str) -> None:
    async with harness(db_url, scribe_canvas_debounce_seconds=0.5) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-burst", members=[alice])
        await h.sim.post_message(chan, alice, "deploying search 2.0.0 to prod")
        await until(lambda: "search 2.0.0" in text_of(h, chan))
        before = len(h.sim.calls_to("canvases.edit"))
        for i in range(40):
            await h.sim.post_message(chan, alice, f"decision: we will drain node {i} first")
        await until(lambda: "drain node 39 first" in text_of(h, chan))
        await h.services.canvas.idle()  # type: ignore[union-attr]
        edits = len(h.sim.calls_to("canvases.edit")) - before
        assert edits <= 10, edits
        text = text_of(h, chan)
        assert all(f"drain node {i} first" in text for i in range(40))
        assert_section_by_section(h)


async def test_a_status_change_made_elsewhere_reaches_the_canvas(db_url: str) -> None:
    async with harness(db_url) as h:
        second = await h.add_replica()
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-status", members=[alice])
        await h.sim.post_message(chan, alice, "ack, investigating")
        await until(lambda: "Status: open" in text_of(h, chan))
        # Commands that reach the other replica change the record there; this one's poll finds it.
        h.sim.bot_url = f"{second.url}/slack/events"
        await h.sim.slash_command(chan, alice, "status mitigated")
        await h.sim.slash_command(chan, alice, "severity SEV2")
        await until(lambda: "Status: mitigated · Severity: SEV2" in text_of(h, chan))
        assert text_of(h, chan).count("Status: ") == 1
        assert_section_by_section(h)


async def test_two_replicas_keep_one_canvas(db_url: str) -> None:
    async with harness(db_url) as h:
        second = await h.add_replica()
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-replicas", members=[alice])
        first_url = h.sim.bot_url
        posts = []
        for i in range(6):
            h.sim.bot_url = first_url if i % 2 == 0 else f"{second.url}/slack/events"
            posts.append(await h.sim.post_message(chan, alice, f"deploying search 2.0.{i} to prod"))
        await until(lambda: all(f"search 2.0.{i} " in text_of(h, chan) for i in range(6)))
        for bot in h.bots:
            await bot.services.canvas.idle()  # type: ignore[union-attr]
        assert len(h.sim.calls_to("conversations.canvases.create")) == 1
        assert len(h.sim.canvases.canvases) == 1
        lines = [s.markdown for s in canvas(h, chan).sections if s.markdown.startswith("- ")]  # type: ignore[union-attr]
        assert len(lines) == 6, lines
        assert_section_by_section(h)


async def test_an_existing_channel_canvas_is_adopted(db_url: str) -> None:
    async with harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-adopt", members=[alice])
        existing = h.sim.canvases.canvases
        h.sim.canvases.channel_canvas[chan] = "FEXISTING1"
        existing["FEXISTING1"] = Canvas(
            "FEXISTING1", chan, "Runbook", h.sim.canvases._parse("# Runbook\n\n## Steps\n- call the IC")
        )
        await h.sim.post_message(chan, alice, "rolling back search to 1.9.0")
        await until(lambda: "rolling back search" in text_of(h, chan))
        assert list(h.sim.canvases.canvases) == ["FEXISTING1"]
        text = text_of(h, chan)
        assert text.startswith("# Runbook") and "- call the IC" in text and "## Timeline" in text
        await h.sim.post_message(chan, alice, "rollback done, error rate back to normal, mitigated")
        await until(lambda: "error rate back to normal" in text_of(h, chan))
        assert_section_by_section(h)


async def test_rate_limited_edits_are_retried_and_converge(db_url: str) -> None:
    async with harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-429", members=[alice])
        await h.sim.post_message(chan, alice, "ack")
        await until(lambda: canvas(h, chan) is not None and "· ack — ack" in text_of(h, chan))
        h.sim.inject_rate_limit("canvases.edit", 3, retry_after=1)
        await h.sim.post_message(chan, alice, "deploying api 3.1.0 to prod")
        await until(lambda: "api 3.1.0" in text_of(h, chan))
        limited = [c for c in h.sim.calls_to("canvases.edit") if c.error == "ratelimited"]
        assert len(limited) == 3
        gaps = [b.at - a.at for a, b in itertools.pairwise(limited)]
        assert all(gap >= 0.9 for gap in gaps), gaps  # Retry-After honoured


async def test_where_canvases_are_unavailable_a_pinned_message_is_kept_current(db_url: str) -> None:
    async with harness(db_url) as h:
        h.sim.canvases.refuse_creation("team_tier_cannot_create_channel_canvases")
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-free", members=[alice])
        await h.sim.post_message(chan, alice, "ack, on it")
        await until(lambda: bool(h.sim.canvases.pins.get(chan)))
        pinned_ts = h.sim.canvases.pins[chan][0]

        def pinned() -> str:
            return next((m["text"] for m in h.sim.messages(chan) if m["ts"] == pinned_ts), "")

        assert "ack, on it" in pinned() and "*Timeline*" in pinned()
        await h.sim.post_message(chan, alice, "deploying the fix: search 2.0.1 to prod")
        await until(lambda: "search 2.0.1" in pinned())
        assert h.sim.calls_to("chat.update")
        assert len(h.sim.canvases.pins[chan]) == 1
        assert not h.sim.canvases.canvases


async def test_catchup_answers_in_the_ack_from_storage_only(db_url: str) -> None:
    async with harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-catchup", members=[alice])
        await h.sim.post_message(chan, alice, "ALERT firing: HighLatency on checkout")
        await h.sim.post_message(chan, alice, "ack, taking a look")
        await h.sim.post_message(chan, alice, "decision: we will roll back checkout")
        h.sim.reset_calls()
        started = time.monotonic()
        result = await h.sim.slash_command(chan, alice, "catchup")
        assert time.monotonic() - started < 3.0
        assert result.status == 200
        body = json.loads(result.body)
        assert body["response_type"] == "ephemeral"
        text = json.dumps(body["blocks"])
        for expected in (
            "Status:",
            "open",
            "HighLatency",
            "roll back checkout",
            "taking a look",
            "Open follow-ups",
        ):
            assert expected in text, expected
        assert not h.sim.calls_to("conversations.history")
        assert not h.sim.calls_to("conversations.replies")


async def test_canvas_command_creates_it_now(db_url: str) -> None:
    async with harness(db_url, scribe_canvas_debounce_seconds=30) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-cmd", members=[alice])
        result = await h.sim.slash_command(chan, alice, "canvas")
        assert result.status == 200 and "canvas" in json.loads(result.body)["text"]
        await until(lambda: canvas(h, chan) is not None, timeout=5)
        again = await h.sim.slash_command(chan, alice, "canvas")
        assert canvas(h, chan).id in json.loads(again.body)["text"]  # type: ignore[union-attr]
        assert len(h.sim.calls_to("conversations.canvases.create")) == 1


async def test_canvas_off_makes_no_canvas_call(db_url: str) -> None:
    async with harness(db_url, scribe_canvas="off") as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-off", members=[alice])
        await h.sim.post_message(chan, alice, "ack, on it")
        await asyncio.sleep(0.5)
        assert not [c for c in h.sim.calls if c.method.startswith(("canvases.", "conversations.canvases"))]
        result = await h.sim.slash_command(chan, alice, "canvas")
        assert "SCRIBE_CANVAS=off" in json.loads(result.body)["text"]


async def test_reactions_put_entries_on_the_canvas_and_take_them_off(db_url: str) -> None:
    async with harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-pin", members=[alice])
        await h.sim.post_message(chan, alice, "ack")
        chatter = await h.sim.post_message(chan, alice, "the cache hit ratio looks odd to me")
        await until(lambda: "· ack — ack" in text_of(h, chan))
        assert "cache hit ratio" not in text_of(h, chan)
        await h.sim.add_reaction(chan, chatter.ts, alice, "pushpin")
        await until(lambda: "· note — the cache hit ratio looks odd to me" in text_of(h, chan))
        await h.sim.remove_reaction(chan, chatter.ts, alice, "pushpin")
        await until(lambda: "cache hit ratio" not in text_of(h, chan))
        assert_section_by_section(h)


async def test_a_failed_edit_is_logged_with_its_channel_and_retried(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-edit-fails", members=[alice])
        await h.sim.post_message(chan, alice, "ack")
        await until(lambda: canvas(h, chan) is not None and "· ack — ack" in text_of(h, chan))
        h.sim.fail_method("canvases.edit", "internal_error", count=1)
        await h.sim.post_message(chan, alice, "deploying api 3.1.0 to prod")
        await until(lambda: "api 3.1.0" in text_of(h, chan))
        retried = [r for r in caplog.records if r.getMessage().startswith("canvas update for")]
        assert len(retried) == 1 and "internal_error" in retried[0].getMessage()
        assert getattr(retried[0], "channel", None) == chan  # a field of its JSON line, not only words
