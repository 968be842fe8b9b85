"""SQLModel tables. Every datetime is stored and returned as aware UTC (see `UTCDateTime`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in and out on both databases (SQLite drops the zone, asyncpg keeps it)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


class IncidentRow(SQLModel, table=True):
    __tablename__ = "incident"

    id: int | None = Field(default=None, primary_key=True)
    channel_id: str = Field(sa_column=sa.Column(sa.String(32), nullable=False, unique=True))
    channel_name: str = Field(max_length=128)
    status: str = Field(default="open", max_length=16)  # open | mitigated | resolved
    opened_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    resolved_at: datetime | None = _ts(nullable=True)
    resolved_by: str | None = Field(default=None, max_length=32)
    severity: str | None = Field(default=None, max_length=32)
    commander_id: str | None = Field(default=None, max_length=32)
    commander_name: str | None = Field(default=None, max_length=128)
    # Set by a person with `/postmortem status|ic|severity`: who and when. Inference from chat never
    # changes a field once it is set this way.
    status_set_by: str | None = Field(default=None, max_length=32)
    status_set_at: datetime | None = _ts(nullable=True)
    commander_set_by: str | None = Field(default=None, max_length=32)
    commander_set_at: datetime | None = _ts(nullable=True)
    severity_set_by: str | None = Field(default=None, max_length=32)
    severity_set_at: datetime | None = _ts(nullable=True)
    postmortem_reminded_at: datetime | None = _ts(nullable=True)


class ChannelHistoryRow(SQLModel, table=True):
    """How far a channel's history has been read, and the walk in progress (resumed after a restart).

    A row per channel rather than columns on `incident`: the bot reads a channel it joined late
    before any incident exists there."""

    __tablename__ = "channel_history"

    channel_id: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    # Newest message ts a finished read covered; the next read starts after it (and after the
    # newest message captured live).
    read_ts: str | None = Field(default=None, max_length=32)
    # The walk in progress: NULL walk_oldest means none. Slack's cursors are bound to the query,
    # so the walk keeps its own `oldest` until it ends.
    walk_oldest: str | None = Field(default=None, max_length=32)
    walk_cursor: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    walk_pages_done: bool = Field(default=False)
    walk_newest: str | None = Field(default=None, max_length=32)
    # Thread parents whose replies are still to read; the first is the one `walk_cursor` pages.
    walk_threads: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False))
    # Slack answered this workspace with its 15-a-page, 1-a-minute history limit.
    paced: bool = Field(default=False)
    updated_at: datetime | None = _ts(nullable=True)


class EntryRow(SQLModel, table=True):
    __tablename__ = "timeline_entry"
    # One row per Slack message: a redelivery or a backfill of the same message is a constraint hit.
    __table_args__ = (
        sa.UniqueConstraint("channel_id", "ts", name="uq_entry_channel_ts"),
        sa.Index("ix_entry_incident_time", "incident_id", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("incident.id", ondelete="CASCADE"), nullable=False)
    )
    channel_id: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32)
    occurred_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    kind: str = Field(max_length=24)
    text: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    raw: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False))
    refs: dict[str, str] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False))
    author_id: str | None = Field(default=None, max_length=32)
    author_name: str | None = Field(default=None, max_length=128)
    author_kind: str = Field(default="human", max_length=8)
    source: str | None = Field(default=None, max_length=48)
    capture: str = Field(default="auto", max_length=16)
    # A responder took the entry out (undo reaction, capture reaction removed); kept for the record.
    hidden: bool = Field(default=False)
    kind_locked: bool = Field(default=False)
    # bot.domain.CONFIDENCE_LEVELS: how sure the bot is of the kind.
    confidence: str = Field(
        default="strong",
        sa_column=sa.Column(sa.String(12), nullable=False, default="strong", server_default="strong"),
    )
    edited_at: datetime | None = _ts(nullable=True)
    deleted_at: datetime | None = _ts(nullable=True)
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))


class ProcessedEvent(SQLModel, table=True):
    """Slack `event_id`s already handled: the primary key makes redeliveries a no-op."""

    __tablename__ = "processed_event"

    event_id: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    received_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))


class FollowUpRow(SQLModel, table=True):
    __tablename__ = "followup"
    __table_args__ = (sa.Index("ix_followup_due_open", "status", "next_remind_at"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("incident.id", ondelete="CASCADE"), nullable=False)
    )
    channel_id: str = Field(max_length=32)
    owner_id: str = Field(max_length=32, index=True)
    owner_name: str | None = Field(default=None, max_length=128)
    description: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    due: date | None = Field(default=None)
    priority: str = Field(default="medium", max_length=8)
    status: str = Field(default="open", max_length=8)  # open | done
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    done_at: datetime | None = _ts(nullable=True)
    done_by: str | None = Field(default=None, max_length=32)
    snoozed_until: datetime | None = _ts(nullable=True)
    # When the sweep should next consider this item; NULL = never (no due date, done, or undeliverable).
    next_remind_at: datetime | None = _ts(nullable=True)
    last_reminded_at: datetime | None = _ts(nullable=True)
    # A sweep that claimed the item but has not confirmed delivery; expired claims are retaken.
    claimed_until: datetime | None = _ts(nullable=True)
    claim_token: str | None = Field(default=None, max_length=64)
    delivery_error: str | None = Field(default=None, max_length=128)
    escalated_at: datetime | None = _ts(nullable=True)


class DraftRow(SQLModel, table=True):
    __tablename__ = "draft"
    __table_args__ = (sa.UniqueConstraint("incident_id", "version", name="uq_draft_version"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("incident.id", ondelete="CASCADE"), nullable=False)
    )
    version: int
    template: str = Field(max_length=64)
    markdown: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    digest: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False))
    requested_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    message_ts: str | None = Field(default=None, max_length=32)
    file_id: str | None = Field(default=None, max_length=32)


class ServiceRow(SQLModel, table=True):
    """A service name a workspace knows, learned from integrations, channel names or earlier entries
    (SCRIBE_SERVICES names are read from the settings, not stored)."""

    __tablename__ = "service"
    __table_args__ = (sa.UniqueConstraint("team_id", "name", name="uq_service_team_name"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)  # "" when the workspace was not known
    name: str = Field(max_length=64)  # lower-case: the catalogue matches case-insensitively
    source: str = Field(max_length=16)  # integration | channel | entry
    learned_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))


class CanvasRow(SQLModel, table=True):
    """The incident's live canvas (or its pinned-message fallback). The primary key is the incident:
    replicas racing to create it insert here first, and only the one whose insert lands calls Slack."""

    __tablename__ = "incident_canvas"

    incident_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True)
    )
    channel_id: str = Field(max_length=32)
    mode: str = Field(default="creating", max_length=16)  # creating | canvas | pinned
    canvas_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    # What the bot last wrote, section by section (and the stable heading ids): the next update is
    # planned as a difference from it. `version` makes each write a compare-and-set.
    written: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False))
    version: int = Field(default=0)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = _ts(nullable=True)
    last_error: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    updated_at: datetime | None = _ts(nullable=True)


class CanvasBudgetRow(SQLModel, table=True):
    """Slack's canvases.edit allowance as one token bucket shared by every replica (compare-and-set)."""

    __tablename__ = "canvas_budget"

    id: int = Field(default=1, primary_key=True)
    tokens: float
    at: float  # wall-clock seconds of the last refill
