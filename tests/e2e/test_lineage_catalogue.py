"""The service catalogue across processes: what one replica learns, another sees after its refresh;
each workspace keeps its own names; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.capture.known_services import REFRESH, KnownServices, channel_service
from bot.tasks import BackgroundTasks
from storage import entries as entry_store
from storage import services as service_store
from storage.db import Database
from tests.e2e.harness import Clock, Harness
from tests.e2e.test_cli import run


async def test_a_name_learned_on_one_replica_is_seen_on_another_after_the_refresh(db_url: str) -> None:
    db = Database(db_url)
    await db.migrate()
    clock = Clock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    tasks = BackgroundTasks()
    a = KnownServices(db, ["web"], clock=clock, tasks=tasks)
    b = KnownServices(db, ["web"], clock=clock, tasks=tasks)
    try:
        assert (await b.catalogue("T1")).names == {"web"}
        assert (await a.catalogue("T1")).names == {"web"}

        a.learn("T1", ["Payments", "web"], source="integration")
        assert (await a.catalogue("T1")).names == {"web", "payments"}  # at once where it was learned
        await tasks.idle()
        assert (await b.catalogue("T1")).names == {"web"}  # the other replica's memory is still fresh

        clock.fixed += REFRESH
        await b.catalogue("T1")  # stale: answers from memory and refreshes in the background
        await tasks.idle()
        assert (await b.catalogue("T1")).find("PAYMENTS deploy started") == [(0, "PAYMENTS")]

        a.learn("T2", ["ledger"], source="integration")
        await tasks.idle()
        async with db.session() as session:
            assert await service_store.names(session, "T1") == ["payments"]  # settings names not stored
            assert await service_store.names(session, "T2") == ["ledger"]
            assert (
                await service_store.learn(
                    session, "T1", ["payments", "PAYMENTS"], source="entry", now=clock()
                )
                == 0
            )
    finally:
        await db.dispose()


async def test_the_incident_channel_name_teaches_its_service_once(db_url: str) -> None:
    db = Database(db_url)
    await db.migrate()
    tasks = BackgroundTasks()
    known = KnownServices(db, [], clock=lambda: datetime.now(UTC), tasks=tasks, refresh=timedelta(0))
    try:
        known.learn_channel("T1", "C1", "inc-2025-12-02-api-gateway-5xx")
        known.learn_channel("T1", "C2", "incident-1042")
        await tasks.idle()
        async with db.session() as session:
            assert await service_store.names(session, "T1") == ["api-gateway"]
    finally:
        await db.dispose()


def test_channel_names_give_a_service_only_when_one_is_there() -> None:
    assert channel_service("inc-2025-12-02-api-gateway-5xx") == "api-gateway"
    assert channel_service("incident-db-outage") == "db"
    assert channel_service("#incident_checkout_latency") == "checkout"
    for name in ("incident-1042", "inc-2026-01-05-sev1-outage", "incident-", None):
        assert channel_service(name) is None


async def test_reclassification_uses_the_catalogue(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        channel = h.sim.add_channel("incident-2801", members=[alice])
        said = await h.sim.post_message(channel, alice, "LEDGER rollback to v4.1.0 started")
        await h.idle()
        async with h.db.session() as session:
            before = await entry_store.get(session, channel, said.ts)
        assert before is not None and "service" not in before.refs

    result = run("reclassify", env={"DATABASE_URL": db_url, "SCRIBE_SERVICES": "ledger"})
    assert result.returncode == 0, result.stderr
    db = Database(db_url)
    try:
        async with db.session() as session:
            after = await entry_store.get(session, channel, said.ts)
    finally:
        await db.dispose()
    assert after is not None and (after.kind, after.refs.get("service")) == ("rollback", "LEDGER")
