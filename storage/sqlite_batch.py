"""Group-commit batches on a plain sqlite3 connection (on the event loop's thread, or the writer
thread when the loop's connection finds the write lock taken).

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

from storage.batch import LOCKABLE, BatchStatements, locked_fields
from storage.models import EntryRow, IncidentRow, ProcessedEvent

T = TypeVar("T")
_DIALECT = sqlite.dialect()
_REQUIRED: Any = object()  # a parameter with no column default: the row must carry it


@dataclass(frozen=True, slots=True)
class _Statement:
    sql: str
    # Per positional parameter: its key, its column type's bind processor, its scalar default.
    plan: tuple[tuple[str, Callable[[Any], Any] | None, Any], ...]

    @classmethod
    def of(cls, compiled: Compiled, table: sa.Table | None = None) -> _Statement:
        plan = []
        for key in compiled.positiontup or ():
            process = compiled.binds[key].type.dialect_impl(_DIALECT).bind_processor(_DIALECT)
            default: Any = _REQUIRED
            column = table.c.get(key) if table is not None else None
            if column is not None and column.default is not None:
                if not column.default.is_scalar:
                    raise TypeError(f"{column.table.name}.{key}: only scalar defaults are supported here")
                default = column.default.arg  # type: ignore[attr-defined]
            plan.append((key, process, default))
        return cls(str(compiled), tuple(plan))

    def params(self, row: dict[str, Any]) -> list[Any]:
        out = []
        for key, process, default in self.plan:
            value = row.get(key, default)
            if value is _REQUIRED:
                raise KeyError(key)
            out.append(value if process is None else process(value))
        return out

    def rows(self, count: int) -> _Statement:
        """The same INSERT for `count` rows in one VALUES list: one statement per batch, not per row."""
        one = "(" + ", ".join("?" * len(self.plan)) + ")"
        head, found, tail = self.sql.partition(f"VALUES {one}")
        if not found:
            raise ValueError(f"not a one-row INSERT: {self.sql}")
        return _Statement(f"{head}VALUES {', '.join([one] * count)}{tail}", self.plan)


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
        locks = [incident.c[f"{field}_set_by"] for field in LOCKABLE]
        self.status_by_id = _Statement.of(
            sa.select(incident.c.status, *locks)
            .where(incident.c.id == sa.bindparam("id"))
            .compile(dialect=_DIALECT)
        )

    def _shape(self, key: tuple[str, ...], build: Callable[[], _Statement]) -> _Statement:
        statement = self._shapes.get(key)
        if statement is None:
            statement = self._shapes[key] = build()
        return statement

    def insert(
        self, table: sa.Table, keys: tuple[str, ...], returning: tuple[str, ...] = (), count: int = 1
    ) -> _Statement:
        """INSERT … ON CONFLICT DO NOTHING [RETURNING …] of `count` rows with exactly these keys."""

        def build() -> _Statement:
            if count > 1:
                return self.insert(table, keys, returning).rows(count)
            stmt = sqlite.insert(table).on_conflict_do_nothing()
            if returning:
                stmt = stmt.returning(*(table.c[name] for name in returning))
            return _Statement.of(stmt.compile(dialect=_DIALECT, column_keys=list(keys)), table)

        return self._shape(("insert", table.name, *keys, "returning", *returning, "rows", str(count)), build)

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

    def _insert_rows(
        self, table: sa.Table, rows: list[dict[str, Any]], returning: tuple[str, ...]
    ) -> list[Any]:
        """One multi-row INSERT … ON CONFLICT DO NOTHING RETURNING per shape of row; returned rows."""
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            shapes.setdefault(tuple(row), []).append(row)
        found = []
        for keys, group in shapes.items():
            statement = self.s.insert(table, keys, returning, len(group))
            params = [value for row in group for value in statement.params(row)]
            found.extend(self.conn.execute(statement.sql, params).fetchall())
        return found

    def insert_incidents(self, rows: list[dict[str, Any]]) -> None:
        self._insert_rows(IncidentRow.__table__, rows, ())

    def incidents_of(self, channel_ids: list[str]) -> list[tuple[int, str, datetime]]:
        found = []
        for channel_id in channel_ids:
            row = self._run(self.s.incident_by_channel, {"channel_id": channel_id}).fetchone()
            if row is not None:
                found.append((row[0], row[1], self.s.opened_at(row[2])))
        return found

    def incident_statuses(self, ids: list[int]) -> dict[int, tuple[str, frozenset[str]]]:
        statuses = {}
        for incident_id in ids:
            row = self._run(self.s.status_by_id, {"id": incident_id}).fetchone()
            if row is not None:
                statuses[incident_id] = (row[0], locked_fields(row[1:]))
        return statuses

    def update_incident(self, incident_id: int, changes: dict[str, Any]) -> None:
        self._run(self.s.update_incident(list(changes)), {**changes, "_id": incident_id})

    def claim_events(self, rows: list[dict[str, Any]]) -> set[str]:
        return {event_id for (event_id,) in self._insert_rows(ProcessedEvent.__table__, rows, ("event_id",))}

    def insert_entries(self, rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
        inserted = self._insert_rows(EntryRow.__table__, rows, ("channel_id", "ts"))
        return {(channel_id, ts) for channel_id, ts in inserted}


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

    @property
    def connected(self) -> bool:
        return self._pooled is not None

    def connect(self) -> None:
        self._connection()

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
