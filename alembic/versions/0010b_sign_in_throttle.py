"""sign-in throttle: failures per client address and identifier, instead of locking accounts

Revision ID: 0010b
Revises: 0005
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.core.models import UTCDateTime

revision: str = "0010b"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboard_sign_in_throttle",
        sa.Column("key", sa.String(length=64), primary_key=True),
        sa.Column("identifier_key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_dashboard_sign_in_throttle_identifier_key",
                    "dashboard_sign_in_throttle", ["identifier_key"])
    op.create_index("ix_dashboard_sign_in_throttle_last_failure_at",
                    "dashboard_sign_in_throttle", ["last_failure_at"])


def downgrade() -> None:
    op.drop_index("ix_dashboard_sign_in_throttle_identifier_key",
                  table_name="dashboard_sign_in_throttle")
    op.drop_index("ix_dashboard_sign_in_throttle_last_failure_at",
                  table_name="dashboard_sign_in_throttle")
    op.drop_table("dashboard_sign_in_throttle")
