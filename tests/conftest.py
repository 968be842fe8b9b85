"""Shared fixtures: a database URL per backend (SQLite file, fresh PostgreSQL database) and a clean
environment (Bolt silently changes mode on SLACK_CLIENT_ID/SECRET, so no SLACK_* leaks in)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

PG_ADMIN_URL = os.environ.get("SCRIBE_TEST_POSTGRES_URL")  # postgresql+asyncpg://user:pw@host:port/db
REQUIRE_PG = os.environ.get("SCRIBE_REQUIRE_POSTGRES") == "1"
_pg_results = {"passed": 0, "failed": 0, "skipped": 0}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(("SLACK_", "SCRIBE_")) and name not in (
            "SCRIBE_TEST_POSTGRES_URL",
            "SCRIBE_REQUIRE_POSTGRES",
        ):
            monkeypatch.delenv(name)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    yield


async def _pg_database() -> tuple[str, str]:
    import asyncpg

    assert PG_ADMIN_URL is not None
    name = f"scribe_t_{uuid.uuid4().hex[:12]}"
    dsn = PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}", name


async def _pg_drop(name: str) -> None:
    import asyncpg

    assert PG_ADMIN_URL is not None
    conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for attempt in range(50):
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except asyncpg.InsufficientPrivilegeError:
                # FORCE may not end a server process our role does not own (an autovacuum worker
                # that has just started on the fresh database): it finishes in moments.
                if attempt == 49:
                    raise
                await asyncio.sleep(0.1)
    finally:
        await conn.close()


async def _fresh_postgres() -> AsyncIterator[str]:
    """A new, empty database for one test, dropped afterwards; skipped (or, in CI, failed) when no
    server is configured."""
    if not PG_ADMIN_URL:
        if REQUIRE_PG:
            pytest.fail("SCRIBE_REQUIRE_POSTGRES=1 but SCRIBE_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL not configured: set SCRIBE_TEST_POSTGRES_URL to run the PostgreSQL variant")
    url, name = await _pg_database()
    try:
        yield url
    finally:
        await _pg_drop(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated-nothing, empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'scribe.db'}"
        return
    async for url in _fresh_postgres():
        yield url


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """PostgreSQL only (multi-replica behaviour that SQLite cannot show)."""
    async for url in _fresh_postgres():
        yield url


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "pg_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "postgres" in report.keywords and (report.when == "call" or report.skipped):
        if report.passed:
            _pg_results["passed"] += 1
        elif report.skipped:
            _pg_results["skipped"] += 1
        elif report.failed:
            _pg_results["failed"] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    r = _pg_results
    terminalreporter.write_line(
        f"PostgreSQL tests: {r['passed']} passed, {r['failed']} failed, {r['skipped']} skipped"
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # In CI the PostgreSQL variants are the proof of multi-replica safety: none may be skipped.
    if REQUIRE_PG and (_pg_results["skipped"] or not _pg_results["passed"]):
        session.exitstatus = 1
