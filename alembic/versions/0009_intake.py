"""intake: inbound messages accepted before the webhook answers, handled right after

Revision ID: 0009
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.core.models import UTCDateTime

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intake",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("payload_enc", sa.Text(), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.UniqueConstraint("channel", "external_id", name="uq_intake_channel_ext"),
    )
    op.create_index("ix_intake_route_id", "intake", ["route", "id"])


def downgrade() -> None:
    op.drop_index("ix_intake_route_id", table_name="intake")
    op.drop_table("intake")
