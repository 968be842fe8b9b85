"""History reads per `/postmortem draft` on a 2,000-message, 200-thread channel the bot joined late.

Run from the repo root: `.venv/bin/python bench/backfill.py`. For each Slack history tier the
simulator offers — the internal-app tier (Tier 3, ~50 calls a minute, pages up to 999) and the
2025 limit for non-Marketplace apps (1 call a minute, 15 a page) — it prints, for the late-join
read, the first draft (made while that read is under way) and a second draft on the channel now
followed live: conversations.history/replies calls, simulated Slack time (the rate limits run on a
simulated clock, so waiting a minute costs nothing), and wall time. The baseline, measured in the
same run, is what drafting cost before: every draft re-read the whole channel and every thread.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slack_sdk.web.async_client import AsyncWebClient

from bot.capture.backfill import PACED_LIMIT, Pacer
from bot.config import load_settings
from bot.postmortem.publish import publish
from bot.services import Services, build_services
from bot.simulator.server import SlackSimulator
from bot.simulator.tiers import INTERNAL_APP, NON_MARKETPLACE, HistoryTier
from bot.slack.gateway import RateLimited
from storage.db import Database

TOP_LEVEL, THREADS, REPLIES_PER_THREAD = 1_600, 200, 2  # 1,600 + 200 × 2 = 2,000 messages
HISTORY = ("conversations.history", "conversations.replies")


class SimulatedTime:
    """The simulator's rate window and the bot's pacer share this clock; a sleep advances it.
    `hold()` stops paced waits until `release()` (the draft runs while the walk is parked)."""

    def __init__(self) -> None:
        self.now = time.time()
        self._running = asyncio.Event()
        self._running.set()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await self._running.wait()
        self.now += seconds
        await asyncio.sleep(0)

    def hold(self) -> None:
        self._running.clear()

    def release(self) -> None:
        self._running.set()


@dataclass
class Row:
    step: str
    calls: int
    simulated_s: float
    wall_s: float
    note: str = ""


async def measure(
    sim: SlackSimulator, clock: SimulatedTime, step: str, run: Callable[[], Awaitable[Any]]
) -> tuple[Row, Any]:
    before, sim_start, wall_start = len(sim.calls), clock.now, time.perf_counter()
    result = await run()
    calls = sum(1 for c in sim.calls[before:] if c.method in HISTORY)
    return Row(step, calls, clock.now - sim_start, time.perf_counter() - wall_start), result


async def seed(sim: SlackSimulator) -> str:
    alice = sim.add_user("alice")
    chan = sim.add_channel("incident-bench", members=[alice], bot_member=False)
    parents: list[str] = []
    for i in range(TOP_LEVEL):
        posted = await sim.post_message(chan, alice, f"update {i}: checking shard {i % 40}", deliver=False)
        if i % (TOP_LEVEL // THREADS) == 0:
            parents.append(posted.ts)
    for parent in parents:
        for j in range(REPLIES_PER_THREAD):
            await sim.post_message(chan, alice, f"reply {j}", thread_ts=parent, deliver=False)
    sim.state.join(sim.state.channel(chan), sim.bot_user_id)  # the late join
    return chan


async def reread_everything(services: Services, channel: str, clock: SimulatedTime, limit: int) -> int:
    """The baseline: what every draft did before — the whole channel, then every thread, with
    slack-sdk's honouring of Retry-After (here on the simulated clock)."""

    async def call(fn: Callable[[], Awaitable[Any]]) -> Any:
        while True:
            try:
                return await fn()
            except RateLimited as limited:
                await clock.sleep(limited.retry_after)

    gateway, cursor, threads, stored = services.gateway, None, [], 0
    while True:
        page = await call(lambda: gateway.history_page(channel, "0", cursor, limit))
        threads += [m["ts"] for m in page.messages if m.get("reply_count")]
        stored += len(page.messages)
        if not (cursor := page.next_cursor or None):
            break
    for parent in threads:
        cursor = None
        while True:
            page = await call(lambda: gateway.replies_page(channel, parent, cursor, limit))  # noqa: B023
            stored += len(page.messages)
            if not (cursor := page.next_cursor or None):
                break
    return stored


async def until_read(services: Services, channel: str) -> None:
    while services.capture.history.is_reading(channel):
        await services.tasks.idle()


async def run_tier(tier: HistoryTier, workdir: Path) -> list[Row]:
    clock = SimulatedTime()
    sim = SlackSimulator(clock=clock, history_tier=None)
    await sim.start()
    url = f"sqlite+aiosqlite:///{workdir / (tier.name.split()[0] + '.db')}"
    db = Database(url)
    await db.migrate()
    settings = load_settings(
        _env_file=None, slack_bot_token=sim.bot_token, slack_signing_secret=sim.signing_secret,
        slack_api_url=sim.api_url, database_url=url, scribe_mark_reaction="",
    )  # fmt: skip
    services = build_services(settings, AsyncWebClient(token=sim.bot_token, base_url=sim.api_url), db=db)
    services.capture.history.pacer = Pacer(clock, clock.sleep)
    await services.gateway.start()
    rows: list[Row] = []
    try:
        chan = await seed(sim)
        sim.set_history_tier(tier)
        ref = await services.channel_ref(chan)
        reader = services.capture.history

        baseline_limit = PACED_LIMIT if tier is NON_MARKETPLACE else 200
        row, _ = await measure(
            sim, clock, "before: every draft re-read the channel",
            lambda: reread_everything(services, chan, clock, baseline_limit),
        )  # fmt: skip
        rows.append(row)
        await asyncio.sleep(0)
        clock.now += 60  # a fresh rate window

        # The join's read makes its first call, then goes on in the background (parked while
        # the first draft runs, so the draft's own calls are counted alone).
        clock.hold()
        row, _ = await measure(
            sim, clock, "late join: first page", lambda: reader.catch_up(ref, from_start=True, max_calls=1)
        )
        rows.append(row)
        row, _ = await measure(
            sim,
            clock,
            "first draft (read still under way)",
            lambda: publish(services, chan, None, "postmortem"),
        )
        row.note = "says history is still being read" if reader.is_reading(chan) else "complete"
        if tier is INTERNAL_APP:  # unpaced, the background read is not parked: its calls show here
            row.note += "; its own calls: 0, the rest are the background read's"
        rows.append(row)
        clock.release()
        row, _ = await measure(sim, clock, "late join: rest of the read", lambda: until_read(services, chan))
        rows.append(row)

        live = await sim.post_message(chan, "U00000001", "rolled back to v1.2", deliver=False)
        await services.capture.on_message(
            ref, {**sim.state.message(sim.state.channel(chan), live.ts), "channel": chan}, None
        )
        row, _ = await measure(
            sim,
            clock,
            "second draft (channel followed live)",
            lambda: publish(services, chan, None, "postmortem"),
        )
        rows.append(row)
        await services.tasks.idle()
    finally:
        await services.capture.close()
        await services.gateway.close()
        await sim.stop()
        await db.dispose()
    return rows


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        for tier in (INTERNAL_APP, NON_MARKETPLACE):
            rows = await run_tier(tier, Path(tmp))
            print(f"\n{tier.name}: {TOP_LEVEL + THREADS * REPLIES_PER_THREAD} messages, {THREADS} threads")
            print(f"{'step':<42} {'history/replies calls':>22} {'simulated Slack time':>21} {'wall':>8}")
            for r in rows:
                print(
                    f"{r.step:<42} {r.calls:>22} {r.simulated_s / 60:>17.1f} min {r.wall_s:>7.2f}s  {r.note}"
                )


if __name__ == "__main__":
    asyncio.run(main())
