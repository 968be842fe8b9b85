"""No message lost across a database outage, and entries read back from history carry names.

Messages Slack delivered while the database refused writes (a trigger refusing every entry, on both
databases) or could not be reached (PostgreSQL behind a link that is cut) are answered 500 (HTTP) or
left unacknowledged (Socket Mode), and the simulated Slack gives up on them, as the real one does
after its retries: the bot reads the channel back from the oldest of them once writes succeed again,
below the watermark that later live messages have moved on. On SQLite and PostgreSQL, over both
transports.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.capture.backfill import just_before
from bot.postmortem.publish import history_reading_note
from bot.simulator.server import PostResult
from storage import history as history_store
from tests.e2e import harness
from tests.e2e.harness import Harness

ON_SQLITE = (
    "CREATE TRIGGER outage BEFORE INSERT ON timeline_entry BEGIN SELECT RAISE(ABORT, 'database down'); END",
)
ON_POSTGRES = (
    "CREATE FUNCTION outage() RETURNS trigger LANGUAGE plpgsql"
    " AS $$ BEGIN RAISE EXCEPTION 'database down'; END $$",
    "CREATE TRIGGER outage BEFORE INSERT ON timeline_entry FOR EACH ROW EXECUTE FUNCTION outage()",
)
OFF_SQLITE = ("DROP TRIGGER outage",)
OFF_POSTGRES = ("DROP TRIGGER outage ON timeline_entry", "DROP FUNCTION outage()")


async def database_refuses_entries(h: Harness, refuse: bool) -> None:
    """The database takes no timeline entry while `refuse` holds: every capture fails to commit."""
    if h.db.is_sqlite:
        statements = ON_SQLITE if refuse else OFF_SQLITE
    else:
        statements = ON_POSTGRES if refuse else OFF_POSTGRES
    async with h.db.transaction() as session:
        for statement in statements:
            await session.execute(sa.text(statement))


async def stored(h: Harness, channel: str) -> Counter[str]:
    """How many entries each message ts has (the store is exactly-once by channel and ts)."""
    async with h.db.session() as session:
        rows = await session.execute(
            sa.text("SELECT ts FROM timeline_entry WHERE channel_id = :c"), {"c": channel}
        )
        return Counter(rows.scalars())


async def recovered(h: Harness, channel: str, timeout: float = 30.0) -> None:
    gaps = h.services.capture.gaps
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while gaps.pending(channel):
        assert loop.time() < deadline, "the channel was never read back"
        await asyncio.sleep(0.05)
    await h.idle()


@pytest.mark.parametrize("mode", harness.MODES)
async def test_messages_posted_while_the_database_is_down_are_read_back_once(db_url: str, mode: str) -> None:
    async with Harness(db_url, mode=mode) as h:
        if h.sim.socket is not None:
            h.sim.socket.ack_timeout = 0.3  # Socket Mode's redeliveries, then its giving up, sooner
        h.services.capture.gaps.RETRY_SECONDS = 0.1
        alice, bob = h.sim.add_user("alice"), h.sim.add_user("bob")
        chan = h.sim.add_channel("incident-77", members=[alice, bob])
        before = [
            await h.sim.post_message(chan, alice, "[FIRING:1] HighErrorRate checkout"),
            await h.sim.post_message(chan, bob, "ack, looking"),
        ]
        await database_refuses_entries(h, True)
        during: list[PostResult] = [
            await h.sim.post_message(chan, alice, "deploying checkout v3.1.0 to prod"),
            await h.sim.post_message(chan, bob, "error rate still climbing"),
            # A reply in a thread whose parent was stored before the outage: older than the gap.
            await h.sim.post_message(chan, bob, "same stack trace as last week", thread_ts=before[0].ts),
        ]
        if mode == "http":
            assert [r.status for r in during] == [500, 500, 500]
        assert not (await stored(h, chan)).keys() & {r.ts for r in during}
        await database_refuses_entries(h, False)
        after = [
            await h.sim.post_message(chan, alice, "rolling back checkout to v3.0.9"),
            await h.sim.post_message(chan, bob, "error rate back to normal"),
        ]
        await recovered(h, chan)

        counts = await stored(h, chan)
        assert counts == Counter({r.ts: 1 for r in [*before, *during, *after]})
        # Read back, not redelivered: Slack gave up on every one of them.
        if mode == "http":
            delivered = Counter(d.event_id for d in h.sim.deliveries)
            assert all(delivered[r.event_id] == 1 for r in during)
        async with h.db.session() as session:
            query = "SELECT ts, capture, author_name FROM timeline_entry WHERE channel_id = :c"
            rows = await session.execute(sa.text(query), {"c": chan})
            by_ts = {row.ts: row for row in rows}
        assert {by_ts[r.ts].capture for r in during} == {"backfill"}
        assert [by_ts[r.ts].author_name for r in during] == ["alice", "bob", "bob"]


@pytest.mark.parametrize("mode", harness.MODES)
async def test_entries_read_back_carry_names_and_each_responder_is_listed_once(
    db_url: str, mode: str
) -> None:
    async with Harness(db_url, mode=mode) as h:
        alice, bob = h.sim.add_user("alice"), h.sim.add_user("bob")
        chan = h.sim.add_channel("incident-79", members=[alice, bob])
        await h.sim.post_message(chan, alice, "[FIRING:1] HighErrorRate checkout")
        await h.sim.post_message(chan, alice, "ack, looking")
        await h.idle()  # live entries' names come after the ack, from users.info
        # The bot is away (a restart under load): Slack keeps these, the bot reads them back.
        await h.sim.post_message(chan, bob, "deploying checkout v3.1.0 to prod", deliver=False)
        await h.sim.post_message(chan, alice, "rolling back checkout to v3.0.9", deliver=False)
        await h.sim.post_message(chan, bob, "error rate back to normal", deliver=False)
        for _ in range(2):  # a later draft too
            result = await h.sim.slash_command(chan, alice, "draft")
            assert result.status == 200
            await h.idle()
            await h.sim.settle()
            await h.idle()
        drafts = [f for f in h.sim.files_in(chan) if f.name.endswith(".md")]
        assert len(drafts) == 2
        for draft in drafts:
            markdown = (draft.content or b"").decode("utf-8")
            assert "| **Responders** | alice, bob |" in markdown
            assert alice not in markdown and bob not in markdown  # no raw user id anywhere
        async with h.db.session() as session:
            rows = await session.execute(
                sa.text("SELECT author_name FROM timeline_entry WHERE capture = 'backfill'")
            )
            assert sorted(rows.scalars()) == ["alice", "bob", "bob"]


async def test_a_draft_before_the_read_back_says_history_is_still_being_read(db_url: str) -> None:
    async with Harness(db_url) as h:
        h.services.capture.gaps.RETRY_SECONDS = 3600.0  # the database is back; the read back not yet
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-80", members=[alice])
        await h.sim.post_message(chan, alice, "ack, looking")
        await database_refuses_entries(h, True)
        assert (await h.sim.post_message(chan, alice, "deploying checkout v3.1.0 to prod")).status == 500
        await database_refuses_entries(h, False)
        await h.sim.post_message(chan, alice, "rolling back checkout to v3.0.9")
        await h.sim.slash_command(chan, alice, "draft")
        await h.idle()
        [summary] = h.sim.calls_to("chat.postMessage")
        assert history_reading_note() in str(summary.params["text"])
        [file] = h.sim.files_in(chan)  # the file outlives the message: it says so too
        assert file.content is not None and b"**Incomplete:**" in file.content


async def test_a_walk_in_progress_keeps_the_earlier_of_its_start_and_the_gap(db_url: str) -> None:
    """A walk in the database (a draft's, a restart's) that would not read the lost message starts
    again from just before it; one that would is resumed from where it began, not narrowed."""
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-81", members=[alice])
        first = await h.sim.post_message(chan, alice, "ack, looking", deliver=False)
        lost = await h.sim.post_message(chan, alice, "deploying checkout v3.1.0 to prod", deliver=False)
        newer = await h.sim.post_message(chan, alice, "rolling back checkout to v3.0.9")
        reader, ref = h.services.capture.history, await h.services.channel_ref(chan)

        async def walk_from(oldest: str) -> None:
            async with h.db.transaction() as session:
                row = await history_store.state(session, chan)
                history_store.start_walk(row, oldest, h.clock())
                session.add(row)

        async def read_back(since: str) -> str:
            mark = len(h.sim.calls)
            assert (await reader.catch_up(ref, since=since)).done
            calls = [c for c in h.sim.calls[mark:] if c.method == "conversations.history"]
            return str(calls[0].params["oldest"])  # where the walk read from

        await walk_from(newer.ts)  # from the watermark: the lost message is older
        assert await read_back(lost.ts) == just_before(lost.ts)
        assert (await stored(h, chan)) == Counter({lost.ts: 1, newer.ts: 1})

        await walk_from(just_before(first.ts))  # from further back: it reads the lost message anyway
        assert await read_back(lost.ts) == just_before(first.ts)
        assert (await stored(h, chan)) == Counter({first.ts: 1, lost.ts: 1, newer.ts: 1})
        async with h.db.session() as session:
            row = await history_store.find(session, chan)
        assert row is not None and row.walk_oldest is None


class CuttableLink:
    """A TCP link to PostgreSQL that can be cut (open connections reset, new ones refused) and
    restored: the database unreachable, as a network or failover outage makes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def up(self, port: int = 0) -> int:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", port)
        return int(self.server.sockets[0].getsockname()[1])

    async def down(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def test_messages_posted_while_postgres_is_unreachable_are_read_back_once(pg_url: str) -> None:
    url = make_url(pg_url)
    link = CuttableLink(url.host or "127.0.0.1", url.port or 5432)
    port = await link.up()
    try:
        async with Harness(url.set(port=port).render_as_string(hide_password=False)) as h:
            h.services.capture.gaps.RETRY_SECONDS = 0.1
            alice = h.sim.add_user("alice")
            chan = h.sim.add_channel("incident-82", members=[alice])
            before = await h.sim.post_message(chan, alice, "ack, looking")
            await link.down()
            during = [await h.sim.post_message(chan, alice, f"still looking at shard s{i}") for i in range(3)]
            assert {r.status for r in during} == {500}
            await link.up(port)
            after = await h.sim.post_message(chan, alice, "rolling back checkout to v3.0.9")
            assert after.status == 200
            await recovered(h, chan)
            assert await stored(h, chan) == Counter({r.ts: 1 for r in [before, *during, after]})
    finally:
        await link.down()
