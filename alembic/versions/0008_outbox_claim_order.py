"""outbox: an index in the sender's claim order, so a claim reads about as many rows as it takes

Revision ID: 0008
Revises: 0007

The claim walks pending rows by (priority, next_attempt_at, id) and stops at its limit;
ix_outbox_due (status, priority, next_attempt_at) is a prefix of the new index and goes.
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_claim_order", "outbox",
                    ["status", "priority", "next_attempt_at", "id"])
    op.drop_index("ix_outbox_due", table_name="outbox")


def downgrade() -> None:
    op.create_index("ix_outbox_due", "outbox", ["status", "priority", "next_attempt_at"])
    op.drop_index("ix_outbox_claim_order", table_name="outbox")
