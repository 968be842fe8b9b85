"""incident state from trustworthy sources: who set status/commander/severity, entry confidence

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# An explicit `/postmortem status|ic|severity` is recorded as who and when; inference leaves a field
# alone once a person has set it.
_SET_COLUMNS = ("status", "commander", "severity")


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        for field in _SET_COLUMNS:
            batch_op.add_column(sa.Column(f"{field}_set_by", sa.String(length=32), nullable=True))
            batch_op.add_column(
                sa.Column(f"{field}_set_at", storage.models.UTCDateTime(timezone=True), nullable=True)
            )
    with op.batch_alter_table("timeline_entry", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("confidence", sa.String(length=12), nullable=False, server_default="strong")
        )


def downgrade() -> None:
    with op.batch_alter_table("timeline_entry", schema=None) as batch_op:
        batch_op.drop_column("confidence")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        for field in _SET_COLUMNS:
            batch_op.drop_column(f"{field}_set_at")
            batch_op.drop_column(f"{field}_set_by")
