"""A throwaway PostgreSQL database for one benchmark run (created next to the given one)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator


@contextlib.asynccontextmanager
async def fresh_postgres(url: str) -> AsyncIterator[str]:
    """A new database next to the given one for one scenario, dropped afterwards."""
    import asyncpg

    name = f"scribe_bench_{uuid.uuid4().hex[:10]}"
    admin = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        yield f"{url.rsplit('/', 1)[0]}/{name}"
    finally:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
