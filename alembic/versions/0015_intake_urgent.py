"""intake_urgent: an SOS is handled before the messages waiting ahead of it (issue 23, U2)

A burst (people answering a broadcast) leaves thousands of messages in the intake; an SOS
that arrives in the middle used to wait behind all of them. The web process marks it when it
accepts it, and the claim takes marked rows first (each person's own order still holds).

Revision ID: 0015
Revises: 0014
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("intake") as batch:
        batch.add_column(sa.Column("urgent", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        # Only the marked rows: the claim reads them first, and it stays small.
        batch.create_index("ix_intake_urgent", ["id"], sqlite_where=sa.text("urgent"),
                           postgresql_where=sa.text("urgent"))


def downgrade() -> None:
    with op.batch_alter_table("intake") as batch:
        batch.drop_index("ix_intake_urgent")
        batch.drop_column("urgent")
