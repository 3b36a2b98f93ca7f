"""device liveness: each gateway phone's last sign of life, shared by every process

Revision ID: 0014
Revises: 0013
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.core.models import UTCDateTime

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_liveness",
        sa.Column("name", sa.String(length=40), primary_key=True),
        sa.Column("last_seen_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("failure", sa.String(length=80), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("device_liveness")
