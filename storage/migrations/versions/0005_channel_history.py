"""channel history watermark and resumable walk (replaces incident.backfilled_at)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_history",
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("read_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("walk_oldest", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("walk_cursor", sa.Text(), nullable=True),
        sa.Column("walk_pages_done", sa.Boolean(), nullable=False),
        sa.Column("walk_newest", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("walk_threads", sa.JSON(), nullable=False),
        sa.Column("paced", sa.Boolean(), nullable=False),
        sa.Column("updated_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("channel_id"),
    )
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("backfilled_at")


def downgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("backfilled_at", storage.models.UTCDateTime(timezone=True), nullable=True))
    op.drop_table("channel_history")
