"""Reminder sweep benchmark: 100,000 follow-ups of which 1,000 are due.

Prints the time one sweep takes to claim the due items and send one digest per owner, and the query
plans (EXPLAIN) of the due-items query on the chosen database, to show it is an index range scan.
Prints figures; asserts nothing about timings.

    .venv/bin/python bench/sweep.py                                   # SQLite (temporary file)
    .venv/bin/python bench/sweep.py --database-url postgresql+asyncpg://scribe:scribe@127.0.0.1/scribe_test
    .venv/bin/python bench/sweep.py --slack simulator                  # DMs over HTTP to the simulator

For PostgreSQL a fresh database is created next to the given one and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pgdb import fresh_postgres

from bot.config import Settings, load_settings
from bot.followups import policy
from bot.followups.reminders import sweep
from storage import followups as store
from storage.db import Database
from storage.models import IncidentRow

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class Explain(Executable, ClauseElement):
    """EXPLAIN of a Core statement with its parameters bound by SQLAlchemy as usual."""

    inherit_cache = False

    def __init__(self, stmt: Any, prefix: str) -> None:
        self.stmt, self.prefix = stmt, prefix


@compiles(Explain)
def _explain(element: Explain, compiler: Any, **kw: Any) -> str:
    return f"{element.prefix} {compiler.process(element.stmt, **kw)}"


class FakeGateway:
    """In-process Slack: measures the database side of the sweep without network latency."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str]] = []

    async def user_info(self, user_id: str) -> dict[str, Any]:
        return {"id": user_id, "tz": "UTC", "deleted": False, "is_bot": False}

    async def channel_info(self, channel_id: str) -> dict[str, Any]:
        return {"id": channel_id, "name": channel_id.lower(), "is_private": False}

    async def open_dm(self, user_id: str) -> str:
        return "D" + user_id

    async def post_message(self, channel: str, text: str, blocks: Any = None, thread_ts: Any = None) -> dict:
        self.posts.append((channel, text))
        return {"ok": True, "channel": channel, "ts": f"{len(self.posts)}.000000"}


@dataclass
class BenchServices:
    settings: Settings
    db: Database
    gateway: Any
    clock: Any
    extras: dict[str, Any] = field(default_factory=dict)


async def seed(db: Database, total: int, due: int, owners: list[str], incidents: int) -> None:
    rng = random.Random(42)
    zone = policy.UTC
    async with db.transaction() as s:
        await s.execute(
            sa.insert(IncidentRow.__table__),
            [
                {
                    "channel_id": f"C{i:08d}",
                    "channel_name": f"inc-{i}",
                    "status": "resolved",
                    "opened_at": NOW - timedelta(days=60),
                    "resolved_at": NOW - timedelta(days=59),
                }
                for i in range(incidents)
            ],
        )
    due_ids = set(rng.sample(range(total), due))
    rows: list[dict[str, Any]] = []
    for n in range(total):
        inc = n % incidents
        owner = owners[n % len(owners)] if n in due_ids else f"UOTHER{rng.randrange(len(owners) * 20):05d}"
        if n in due_ids:
            due_on: date | None = NOW.date() - timedelta(days=1 + rng.randrange(2))
            status, nxt = "open", policy.due_at(due_on, zone)
        elif n % 3 == 0:  # closed long ago
            due_on, status, nxt = NOW.date() - timedelta(days=30), "done", None
        elif n % 3 == 1:  # open, due in the future
            due_on = NOW.date() + timedelta(days=1 + rng.randrange(90))
            status, nxt = "open", policy.due_at(due_on, zone)
        else:  # open, already reminded today
            due_on = NOW.date() - timedelta(days=5)
            status, nxt = "open", NOW + timedelta(hours=1 + rng.randrange(20))
        rows.append(
            {
                "incident_id": inc + 1,
                "channel_id": f"C{inc:08d}",
                "owner_id": owner,
                "description": f"item {n}",
                "due": due_on,
                "priority": "medium",
                "status": status,
                "created_by": "UCREATOR",
                "created_at": NOW - timedelta(days=40),
                "next_remind_at": nxt,
                # Escalated already, so the bench measures the reminder path, not escalation messages.
                "escalated_at": NOW - timedelta(days=1),
            }
        )
        if len(rows) == 5000:
            async with db.transaction() as s:
                await s.execute(sa.insert(store.T), rows)
            rows = []
    if rows:
        async with db.transaction() as s:
            await s.execute(sa.insert(store.T), rows)
    async with db.engine.begin() as conn:
        await conn.execute(sa.text("ANALYZE"))


async def explain(db: Database) -> list[str]:
    stmt = store.due_items_query(NOW, store_owner_batch())
    due_ids = sa.select(store.T.c.id).where(*store._due_unclaimed(NOW))
    lines: list[str] = []
    async with db.engine.connect() as conn:
        for label, q in (("owners with due items", stmt), ("due items", due_ids)):
            if db.is_sqlite:
                rows = (await conn.execute(Explain(q, "EXPLAIN QUERY PLAN"))).all()
                plan = [str(r[-1]) for r in rows]
            else:
                rows = (await conn.execute(Explain(q, "EXPLAIN"))).all()
                plan = [str(r[0]) for r in rows]
            lines.append(f"  {label}:")
            lines.extend(f"    {p}" for p in plan)
    return lines


def store_owner_batch() -> int:
    from bot.followups.reminders import CLAIM_BATCH_ROWS

    return CLAIM_BATCH_ROWS


async def run(url: str, args: argparse.Namespace) -> None:
    db = Database(url)
    await db.migrate()
    sim = None
    gateway: Any
    if args.slack == "simulator":
        from slack_sdk.web.async_client import AsyncWebClient

        from bot.simulator.server import SlackSimulator
        from bot.slack.gateway import SlackGateway

        sim = SlackSimulator(echo_bot_events=False)
        await sim.start()
        owners = [sim.add_user(f"user{n}") for n in range(args.owners)]
        gateway = SlackGateway(AsyncWebClient(token=sim.bot_token, base_url=sim.api_url))
        settings = load_settings(_env_file=None, slack_bot_token=sim.bot_token, database_url=url)
    else:
        owners = [f"U{n:08d}" for n in range(args.owners)]
        gateway = FakeGateway()
        settings = load_settings(_env_file=None, slack_bot_token="xoxb-bench", database_url=url)
    try:
        t0 = time.perf_counter()
        await seed(db, args.items, args.due, owners, args.incidents)
        print(
            f"seeded {args.items:,} follow-ups ({args.due:,} due, {args.owners} owners) in "
            f"{time.perf_counter() - t0:.1f}s on {db.engine.dialect.name}; Slack: {args.slack}"
        )
        plan = await explain(db)
        print("EXPLAIN (due-items query):")
        print("\n".join(plan))
        uses_index = any("ix_followup_due_open" in line for line in plan)
        print(f"due-items query uses ix_followup_due_open: {'yes' if uses_index else 'NO'}")

        services = BenchServices(settings, db, gateway, lambda: NOW)
        t0 = time.perf_counter()
        result = await sweep(services, NOW)  # type: ignore[arg-type]
        took = time.perf_counter() - t0
        print(
            f"sweep: {result.items_reminded:,} items in {result.digests_sent} digests "
            f"(claimed {result.claimed:,}, undeliverable {result.failed_permanent}) in {took:.3f}s "
            f"[target ≤ 2 s]"
        )
        t0 = time.perf_counter()
        again = await sweep(services, NOW)  # type: ignore[arg-type]
        print(f"second sweep (nothing due): {again.digests_sent} digests in {time.perf_counter() - t0:.3f}s")
    finally:
        if sim is not None:
            await sim.stop()
        await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--owners", type=int, default=100)
    parser.add_argument("--incidents", type=int, default=500)
    parser.add_argument("--slack", choices=("fake", "simulator"), default="fake")
    args = parser.parse_args()
    url = args.database_url
    if url is None:
        with tempfile.TemporaryDirectory() as tmp:
            await run(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", args)
        return
    if url.startswith("sqlite"):
        await run(url, args)
        return
    async with fresh_postgres(url) as fresh:
        await run(fresh, args)


if __name__ == "__main__":
    asyncio.run(main())
