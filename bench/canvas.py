"""Live canvas benchmark: 3 incidents × 40 messages in 10 s, through the real request path.

The bot (`create_web_app`, production settings: 2 s debounce, the shared 45-a-minute edit budget)
receives signed events from the Slack simulator and keeps each incident's canvas current. Prints
canvas edits per minute (Slack's Tier 3 allows about 50; the bot's budget is 45), freshness p50/p95
of a captured entry reaching its canvas (target p95 ≤ 15 s), edits per captured entry, and the same
under a storm of `429 Retry-After: 5` answers to canvases.edit (it must converge, losing nothing).
Prints figures; asserts nothing about timings.

    .venv/bin/python bench/canvas.py
    .venv/bin/python bench/canvas.py --database-url postgresql+asyncpg://user:pw@127.0.0.1/db

For PostgreSQL a fresh database is created next to the given one for each scenario and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pgdb import fresh_postgres

from bot.demo import serve_against
from bot.simulator.server import SlackSimulator

INCIDENTS, MESSAGES, SECONDS = 3, 40, 10.0
# What responders and integrations post during an incident; `other` (chatter) never reaches the canvas.
MIX = (
    ("alert_firing", "ALERT firing: HighErrorRate{n} on search-{i}"),
    ("ack", "ack, looking at search-{i} pods ({n})"),
    ("other", "anyone else seeing slow dashboards? ({n})"),
    ("deploy", "deploying search-{i} 2.0.{n} to prod"),
    ("decision", "decision: we will drain node {n} of search-{i} first"),
    ("other", "brb coffee ({n})"),
    ("rollback", "rolling back search-{i} to 1.9.{n}"),
    ("alert_resolved", "RESOLVED: HighErrorRate{n} on search-{i}"),
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def max_per_minute(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 60.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def scenario(database_url: str, storm: bool, debounce: float) -> dict[str, float]:
    sim = SlackSimulator(echo_bot_events=False)
    await sim.start()
    runner, services, _port = await serve_against(
        sim, database_url, scribe_mark_reaction="", scribe_canvas_debounce_seconds=debounce
    )
    assert services.canvas is not None
    try:
        user = sim.add_user("alice")
        channels = [sim.add_channel(f"incident-bench-{i}", members=[user]) for i in range(INCIDENTS)]
        if storm:  # every canvases.edit for a while answers 429 Retry-After: 5
            sim.inject_rate_limit("canvases.edit", 8, retry_after=5)
        pending: dict[tuple[str, str], float] = {}  # (channel, unique text) → when it was posted
        fresh: list[float] = []
        all_posted, all_shown = asyncio.Event(), asyncio.Event()
        started = time.monotonic()

        async def watch() -> None:
            while True:
                now = time.monotonic()
                for key in list(pending):
                    canvas = sim.canvases.canvas_of(key[0])
                    if canvas is not None and key[1] in canvas.markdown:
                        fresh.append(now - pending.pop(key))
                if all_posted.is_set() and not pending:
                    all_shown.set()
                await asyncio.sleep(0.05)

        watcher = asyncio.create_task(watch())
        total = INCIDENTS * MESSAGES
        for k in range(total):
            i, n = k % INCIDENTS, k // INCIDENTS
            kind, template = MIX[n % len(MIX)]
            text = template.format(i=i, n=n)
            await asyncio.sleep(max(0.0, started + k * SECONDS / total - time.monotonic()))
            posted = time.monotonic()
            await sim.post_message(channels[i], user, text)
            if kind != "other":
                pending[(channels[i], text)] = posted
        captured = len(pending) + len(fresh)
        all_posted.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_shown.wait(), 180)
        await services.canvas.idle(timeout=60)
        converged = time.monotonic() - started
        watcher.cancel()
        edits = [c for c in sim.calls_to("canvases.edit") if c.ok]
        limited = [c for c in sim.calls_to("canvases.edit") if c.error == "ratelimited"]
        other_lines = sum("coffee" in (sim.canvases.canvas_of(c).markdown or "") for c in channels)  # type: ignore[union-attr]
        return {
            "captured": captured,
            "lost": len(pending),
            "other_lines": other_lines,
            "edits": len(edits),
            "rate_limited": len(limited),
            "edits_per_min_max": max_per_minute([c.at for c in edits]),
            "edits_per_entry": len(edits) / captured,
            "fresh_p50": statistics.median(fresh) if fresh else float("nan"),
            "fresh_p95": percentile(fresh, 0.95) if fresh else float("nan"),
            "fresh_max": max(fresh) if fresh else float("nan"),
            "converged_s": converged,
            "lookups": services.canvas.stats.lookups,
        }
    finally:
        await runner.cleanup()
        await sim.stop()


def report(name: str, r: dict[str, float]) -> None:
    print(f"\n{name}")
    print(f"  captured entries (not `other`)   {r['captured']:.0f}, lost {r['lost']:.0f}", end="")
    print(f", `other` lines shown {r['other_lines']:.0f}")
    print(f"  canvases.edit calls              {r['edits']:.0f} ok, {r['rate_limited']:.0f} answered 429")
    print(f"  edits in any 60 s window (max)   {r['edits_per_min_max']:.0f}  (budget 45)")
    print(f"  edits per captured entry         {r['edits_per_entry']:.2f}")
    p50, p95, top = r["fresh_p50"], r["fresh_p95"], r["fresh_max"]
    print(f"  freshness p50 / p95 / max        {p50:.1f} s / {p95:.1f} s / {top:.1f} s")
    print(f"  updater idle after              {r['converged_s']:.1f} s  ({r['lookups']:.0f} section lookups)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="PostgreSQL server to create a fresh database on per scenario (default: SQLite)",
    )
    args = parser.parse_args()
    print(f"{INCIDENTS} incidents × {MESSAGES} messages in {SECONDS:.0f} s, production canvas settings")
    scenarios = (
        ("normal (2 s debounce, the default)", False, 2.0),
        ("0.05 s debounce: the shared edit budget paces the edits", False, 0.05),
        ("429 storm (Retry-After: 5 on canvases.edit), default debounce", True, 2.0),
    )
    for name, storm, debounce in scenarios:
        if args.database_url:
            async with fresh_postgres(args.database_url) as url:
                report(name, await scenario(url, storm, debounce))
            continue
        with tempfile.TemporaryDirectory() as tmp:
            report(name, await scenario(f"sqlite+aiosqlite:///{tmp}/bench.db", storm, debounce))


if __name__ == "__main__":
    asyncio.run(main())
