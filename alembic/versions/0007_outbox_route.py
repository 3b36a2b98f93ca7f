"""outbox.route: a pseudonymous key of the destination, so the sender can pace per chat in SQL

Revision ID: 0007
Revises: 0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("route", sa.String(length=16), nullable=True))
        batch.create_index("ix_outbox_route_status", ["route", "status"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_route_status")
        batch.drop_column("route")
