"""Economical history reading, end to end against the simulator's rate tiers, on both databases:
a draft on a live channel reads at most 2 pages, reads start after the watermark, and a paced
walk (Slack's 15-a-page, 1-a-minute limit) resumes after a restart where it stopped."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import sqlalchemy as sa

from bot.capture.backfill import PACED_INTERVAL, Pacer, backfill_open_incidents
from bot.postmortem.publish import history_reading_note
from bot.simulator.tiers import INTERNAL_APP, NON_MARKETPLACE, HistoryTier
from tests.e2e.harness import Harness

HISTORY = ("conversations.history", "conversations.replies")


class FakeTime:
    """One clock for the simulator's rate window and the bot's pacer: waiting a minute is instant."""

    def __init__(self) -> None:
        self.now = time.time()
        self.slept = 0.0
        self.running = asyncio.Event()  # cleared: a paced wait holds until the test lets it go on
        self.running.set()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await self.running.wait()
        self.now += seconds
        self.slept += seconds
        await asyncio.sleep(0)


def history_calls(h: Harness) -> list[Any]:
    return [c for c in h.sim.calls if c.method in HISTORY]


async def stored_ts(h: Harness) -> set[str]:
    async with h.db.session() as session:
        return set((await session.execute(sa.text("SELECT ts FROM timeline_entry"))).scalars())


async def history_row(h: Harness, channel: str) -> Any:
    async with h.db.session() as session:
        return (
            await session.execute(
                sa.text("SELECT * FROM channel_history WHERE channel_id = :c"), {"c": channel}
            )
        ).one()


async def draft(h: Harness, channel: str, user: str) -> None:
    result = await h.sim.slash_command(channel, user, "draft")
    assert result.status == 200
    await h.idle()
    await h.sim.settle()


async def test_second_draft_on_a_live_channel_makes_at_most_two_history_calls(db_url: str) -> None:
    async with Harness(db_url, sim_kwargs={"history_tier": INTERNAL_APP}) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-h1", members=[alice])
        parent = await h.sim.post_message(chan, alice, "[FIRING:1] HighLatency (search)")
        for i in range(30):
            await h.sim.post_message(chan, alice, f"looking at shard {i}", thread_ts=parent.ts)
        for i in range(30):
            await h.sim.post_message(chan, alice, f"deploying search v1.{i} to prod")
        await draft(h, chan, alice)
        assert len(history_calls(h)) <= 2
        h.sim.reset_calls()
        newest = await h.sim.post_message(chan, alice, "rolled back search to v1.0")
        await draft(h, chan, alice)
        calls = history_calls(h)
        assert 1 <= len(calls) <= 2, [(c.method, c.params) for c in calls]
        # The read starts after the newest message seen live, not at the start of the channel.
        assert calls[0].params["oldest"] == newest.ts
        assert len(h.sim.calls_to("chat.postMessage")) == 1


async def test_read_after_downtime_starts_at_the_watermark_and_reads_new_threads(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-h2", members=[alice])
        seen = await h.sim.post_message(chan, alice, "ack, looking")
        missed = [await h.sim.post_message(chan, alice, f"step {i}", deliver=False) for i in range(5)]
        reply = await h.sim.post_message(chan, alice, "done", thread_ts=missed[2].ts, deliver=False)
        assert await backfill_open_incidents(h.services) == 6
        [history, replies] = history_calls(h)
        assert (history.method, history.params["oldest"]) == ("conversations.history", seen.ts)
        assert (replies.method, replies.params["ts"]) == ("conversations.replies", missed[2].ts)
        assert {reply.ts, *(m.ts for m in missed)} <= await stored_ts(h)
        row = await history_row(h, chan)
        assert (row.read_ts, row.walk_oldest) == (missed[-1].ts, None)
        # Nothing new: one call, from the watermark the last read left.
        h.sim.reset_calls()
        assert await backfill_open_incidents(h.services) == 0
        assert [c.params["oldest"] for c in history_calls(h)] == [missed[-1].ts]


async def test_late_join_reads_the_channel_once_from_its_start(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-h3", members=[alice], bot_member=False)
        early = [await h.sim.post_message(chan, alice, f"early {i}") for i in range(3)]
        assert await h.sim.member_joined(chan, h.sim.bot_user_id) == 200
        await h.idle()
        assert {m.ts for m in early} <= await stored_ts(h)
        assert history_calls(h)[0].params["oldest"] == "0"
        h.sim.reset_calls()
        late = await h.sim.post_message(chan, alice, "deploying api v2 to prod")
        await draft(h, chan, alice)
        assert [c.params["oldest"] for c in history_calls(h)] == [late.ts]


async def test_paced_walk_resumes_after_a_restart_where_it_stopped(db_url: str) -> None:
    fake = FakeTime()
    async with Harness(db_url, sim_kwargs={"history_tier": NON_MARKETPLACE, "clock": fake}) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-h4", members=[alice])
        missed = [await h.sim.post_message(chan, alice, f"update {i}", deliver=False) for i in range(50)]
        reader = h.services.capture.history
        reader.pacer = Pacer(fake, fake.sleep)
        progress = await reader.catch_up(await h.services.channel_ref(chan), from_start=True, max_calls=1)
        assert not progress.done and progress.stored == 15  # Slack's capped page
        # The process dies before the background walk makes its next (paced) call.
        await h.bot.services.tasks.close(timeout=0)
        row = await history_row(h, chan)
        assert row.walk_cursor and row.paced and row.walk_oldest == "0"
        await h.bot.stop()
        h.bots.clear()
        h.sim.reset_calls()

        restarted = await h.add_replica()
        restarted.services.capture.history.pacer = Pacer(fake, fake.sleep)
        await backfill_open_incidents(restarted.services)
        calls = history_calls(h)
        assert calls[0].params.get("cursor") == row.walk_cursor  # resumed, not started over
        assert all(c.params["limit"] in (15, "15") for c in calls)
        assert {m.ts for m in missed} <= await stored_ts(h)
        ok = [c for c in calls if c.ok]
        assert len(ok) == 3  # 35 messages left: pages of 15, 15, 5
        assert all(b.at - a.at >= PACED_INTERVAL for a, b in itertools.pairwise(ok))
        assert (await history_row(h, chan)).walk_oldest is None


async def test_draft_under_the_limit_does_not_wait_and_says_history_is_still_being_read(
    db_url: str,
) -> None:
    fake = FakeTime()
    async with Harness(db_url, sim_kwargs={"history_tier": NON_MARKETPLACE, "clock": fake}) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-h5", members=[alice])
        await h.sim.post_message(chan, alice, "ack, looking")
        missed = [await h.sim.post_message(chan, alice, f"update {i}", deliver=False) for i in range(40)]
        h.services.capture.history.pacer = Pacer(fake, fake.sleep)
        fake.running.clear()
        started = time.perf_counter()
        await h.sim.slash_command(chan, alice, "draft")
        for _ in range(200):  # the summary, posted before the background walk ends
            if h.sim.calls_to("chat.postMessage"):
                break
            await asyncio.sleep(0.02)
        [summary] = h.sim.calls_to("chat.postMessage")
        assert time.perf_counter() - started < 3.0
        assert history_reading_note() in str(summary.params["text"])
        # One capped page; the next call is a minute away, so the draft went on without it.
        assert [c.params["limit"] for c in history_calls(h)] == ["999"]
        for _ in range(200):  # the file says so too: it outlives the summary message
            if h.sim.files_in(chan):
                break
            await asyncio.sleep(0.02)
        [first] = h.sim.files_in(chan)
        assert first.content is not None and b"**Incomplete:**" in first.content
        fake.running.set()
        await h.idle()
        assert {m.ts for m in missed} <= await stored_ts(h)
        assert fake.slept >= 2 * PACED_INTERVAL
        fake.now += 120  # Slack's minute has passed: the draft's own look for newer messages is allowed
        await h.sim.slash_command(chan, alice, "draft")  # read back by now: complete, and not said
        await h.idle()
        second = h.sim.files_in(chan)[-1]
        assert second is not first and second.content is not None and b"Incomplete" not in second.content


async def test_simulator_tiers_cap_pages_and_answer_429_with_retry_after(db_url: str) -> None:
    fake = FakeTime()
    async with Harness(db_url, sim_kwargs={"history_tier": NON_MARKETPLACE, "clock": fake}) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-h6", members=[alice])
        for i in range(20):
            await h.sim.post_message(chan, alice, f"m {i}", deliver=False)
        gateway = h.services.gateway
        page = await gateway.history_page(chan, "0", None, 200)
        assert (len(page.messages), page.capped) == (15, True)
        from bot.slack.gateway import RateLimited

        fake.now += 30
        try:
            await gateway.history_page(chan, "0", page.next_cursor, 15)
        except RateLimited as limited:
            assert limited.retry_after == 30
        else:
            raise AssertionError("a second call within the minute must be refused")
        fake.now += 30
        assert len((await gateway.history_page(chan, "0", page.next_cursor, 15)).messages) == 5
        h.sim.set_history_tier(INTERNAL_APP)
        assert len((await gateway.history_page(chan, "0", None, 1000)).messages) == 20


async def test_a_full_replies_page_is_not_mistaken_for_the_page_cap(db_url: str) -> None:
    tier = HistoryTier("small pages", 50, 10, 10, 10, 10)
    async with Harness(db_url, sim_kwargs={"history_tier": tier}) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-h7", members=[alice])
        parent = await h.sim.post_message(chan, alice, "[FIRING:1] DiskFull (db)", deliver=False)
        for i in range(20):
            await h.sim.post_message(chan, alice, f"r{i}", thread_ts=parent.ts, deliver=False)
        page = await h.services.gateway.replies_page(chan, parent.ts, None, 10)
        # Slack counts the parent in the page: 9 replies of 10 asked, and more to come.
        assert (len(page.messages), page.returned, page.capped) == (9, 10, False)
        capped = await h.services.gateway.replies_page(chan, parent.ts, None, 20)
        assert capped.capped
