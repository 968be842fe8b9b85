"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 06:29:28.981293
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("channel_name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("opened_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("commander_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("commander_name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("backfilled_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("postmortem_reminded_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id"),
    )
    op.create_table(
        "processed_event",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("template", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("digest", sa.JSON(), nullable=False),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("message_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("file_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "version", name="uq_draft_version"),
    )
    op.create_table(
        "followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("owner_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("owner_name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("priority", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("snoozed_until", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_remind_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_reminded_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("delivery_error", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("escalated_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.create_index("ix_followup_due_open", ["status", "next_remind_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_followup_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "timeline_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("thread_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("occurred_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("refs", sa.JSON(), nullable=False),
        sa.Column("author_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("author_name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("author_kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=True),
        sa.Column("capture", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("kind_locked", sa.Boolean(), nullable=False),
        sa.Column("edited_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "ts", name="uq_entry_channel_ts"),
    )
    with op.batch_alter_table("timeline_entry", schema=None) as batch_op:
        batch_op.create_index("ix_entry_incident_time", ["incident_id", "occurred_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("timeline_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_entry_incident_time")

    op.drop_table("timeline_entry")
    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followup_owner_id"))
        batch_op.drop_index("ix_followup_due_open")

    op.drop_table("followup")
    op.drop_table("draft")
    op.drop_table("processed_event")
    op.drop_table("incident")
