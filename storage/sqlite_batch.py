"""Group-commit batches on a plain sqlite3 connection, for the SQLite writer thread.

Through SQLAlchemy's execution path (pool checkout, cache-key generation, execution context, result
metadata) a one-row insert cost several times what SQLite itself spends on it, and the event path
pays that for every message. Here the SQL is still SQLAlchemy's — compiled once per statement shape
from the same tables — and every value goes through its column type's own bind and result
processors, so rows read back through SQLModel exactly as if SQLAlchemy had written them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.compiler import Compiled

from storage.batch import BatchStatements
from storage.models import EntryRow, IncidentRow, ProcessedEvent

T = TypeVar("T")
_DIALECT = sqlite.dialect()


@dataclass(frozen=True, slots=True)
class _Statement:
    sql: str
    keys: tuple[str, ...]  # parameter names in positional order
    processors: tuple[Callable[[Any], Any] | None, ...]
    defaults: dict[str, Any]  # scalar column defaults for keys a row may leave out

    @classmethod
    def of(cls, compiled: Compiled, table: sa.Table | None = None) -> _Statement:
        keys = tuple(compiled.positiontup or ())
        processors = tuple(
            compiled.binds[k].type.dialect_impl(_DIALECT).bind_processor(_DIALECT) for k in keys
        )
        defaults: dict[str, Any] = {}
        if table is not None:
            for key in keys:
                column = table.c.get(key)
                if column is not None and column.default is not None:
                    if not column.default.is_scalar:
                        raise TypeError(f"{table.name}.{key}: only scalar defaults are supported here")
                    defaults[key] = column.default.arg  # type: ignore[attr-defined]
        return cls(str(compiled), keys, processors, defaults)

    def params(self, row: dict[str, Any]) -> tuple[Any, ...]:
        values = [row[k] if k in row else self.defaults[k] for k in self.keys]
        return tuple(p(v) if p is not None else v for p, v in zip(self.processors, values, strict=True))


def _result_processor(column: sa.Column[Any]) -> Callable[[Any], Any]:
    process = column.type.dialect_impl(_DIALECT).result_processor(_DIALECT, None)
    return process or (lambda value: value)


class _Statements:
    """Compiled statements, shared by every batch of one writer; compiled on first use per shape."""

    def __init__(self) -> None:
        incident = IncidentRow.__table__
        self._shapes: dict[tuple[str, ...], _Statement] = {}
        self.incident_by_channel = _Statement.of(
            sa.select(incident.c.id, incident.c.channel_id, incident.c.opened_at)
            .where(incident.c.channel_id == sa.bindparam("channel_id"))
            .compile(dialect=_DIALECT)
        )
        self.opened_at = _result_processor(incident.c.opened_at)
        self.status_by_id = _Statement.of(
            sa.select(incident.c.status).where(incident.c.id == sa.bindparam("id")).compile(dialect=_DIALECT)
        )

    def _shape(self, key: tuple[str, ...], build: Callable[[], _Statement]) -> _Statement:
        statement = self._shapes.get(key)
        if statement is None:
            statement = self._shapes[key] = build()
        return statement

    def insert(self, table: sa.Table, keys: Sequence[str], returning: Sequence[str] = ()) -> _Statement:
        """INSERT … ON CONFLICT DO NOTHING [RETURNING …] for rows with exactly these keys."""

        def build() -> _Statement:
            stmt = sqlite.insert(table).on_conflict_do_nothing()
            if returning:
                stmt = stmt.returning(*(table.c[name] for name in returning))
            return _Statement.of(stmt.compile(dialect=_DIALECT, column_keys=list(keys)), table)

        return self._shape(("insert", table.name, *keys, "returning", *returning), build)

    def update_incident(self, keys: Sequence[str]) -> _Statement:
        incident = IncidentRow.__table__

        def build() -> _Statement:
            stmt = incident.update().where(incident.c.id == sa.bindparam("_id"))
            return _Statement.of(stmt.compile(dialect=_DIALECT, column_keys=list(keys)), incident)

        return self._shape(("update", incident.name, *keys), build)


class _SQLiteStatements(BatchStatements):
    def __init__(self, conn: sqlite3.Connection, statements: _Statements) -> None:
        self.conn, self.s = conn, statements

    def _run(self, statement: _Statement, row: dict[str, Any]) -> sqlite3.Cursor:
        return self.conn.execute(statement.sql, statement.params(row))

    def insert_incidents(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self._run(self.s.insert(IncidentRow.__table__, list(row)), row)

    def incidents_of(self, channel_ids: list[str]) -> list[tuple[int, str, datetime]]:
        found = []
        for channel_id in channel_ids:
            row = self._run(self.s.incident_by_channel, {"channel_id": channel_id}).fetchone()
            if row is not None:
                found.append((row[0], row[1], self.s.opened_at(row[2])))
        return found

    def incident_statuses(self, ids: list[int]) -> dict[int, str]:
        statuses = {}
        for incident_id in ids:
            row = self._run(self.s.status_by_id, {"id": incident_id}).fetchone()
            if row is not None:
                statuses[incident_id] = row[0]
        return statuses

    def update_incident(self, incident_id: int, changes: dict[str, Any]) -> None:
        self._run(self.s.update_incident(list(changes)), {**changes, "_id": incident_id})

    def claim_events(self, rows: list[dict[str, Any]]) -> set[str]:
        claimed = set()
        for row in rows:
            statement = self.s.insert(ProcessedEvent.__table__, list(row), returning=("event_id",))
            if self._run(statement, row).fetchone() is not None:
                claimed.add(row["event_id"])
        return claimed

    def insert_entries(self, rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
        stored = set()
        for row in rows:
            statement = self.s.insert(EntryRow.__table__, list(row), returning=("channel_id", "ts"))
            inserted = self._run(statement, row).fetchone()
            if inserted is not None:
                stored.add((inserted[0], inserted[1]))
        return stored


class LockBusy(Exception):
    """Another connection holds SQLite's write lock; nothing of the batch was written."""


class SQLiteBatchConnection:
    """One sqlite3 connection; `run` is one IMMEDIATE transaction.

    IMMEDIATE takes the write lock at BEGIN, so a concurrent writer (a draft, another process)
    makes us wait on busy_timeout instead of failing the upgrade from a read lock mid-batch.

    `wait=False` is for a connection used on the event loop's own thread: it never waits for the
    lock (LockBusy instead, for the caller to take the batch elsewhere) and never checkpoints on
    commit (the checkpoint's fsync would stall the loop); `checkpoint()` is then the owner's job,
    from another thread.
    """

    def __init__(self, engine: sa.Engine, *, wait: bool = True) -> None:
        self.engine, self.wait = engine, wait
        self._pooled: Any = None
        self._statements = _Statements()

    def _connection(self) -> sqlite3.Connection:
        if self._pooled is None:
            self._pooled = self.engine.raw_connection()  # pragmas applied by the engine's connect hook
            conn = self._pooled.driver_connection
            conn.isolation_level = None  # we issue BEGIN/COMMIT ourselves
            if not self.wait:
                conn.execute("PRAGMA busy_timeout=0")
                conn.execute("PRAGMA wal_autocheckpoint=0")
        conn: sqlite3.Connection = self._pooled.driver_connection
        return conn

    def run(self, work: Callable[..., T], *args: Any) -> T:
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
            result = work(_SQLiteStatements(conn, self._statements), *args)
            conn.execute("COMMIT")
        except BaseException as exc:
            try:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            except sqlite3.Error:
                self._discard()
            if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):
                raise LockBusy(str(exc)) from exc
            raise
        return result

    def checkpoint(self) -> None:
        """Copy the WAL back into the database file without blocking writers (PASSIVE)."""
        self._connection().execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _discard(self) -> None:
        if self._pooled is not None:
            self._pooled.invalidate()
            self._pooled = None

    def close(self) -> None:
        if self._pooled is not None and not self.wait:
            self._discard()  # its pragmas are not the pool's: closed, not returned
        elif self._pooled is not None:
            self._pooled.driver_connection.isolation_level = ""  # the pool's default again
            self._pooled.close()
            self._pooled = None


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc)
