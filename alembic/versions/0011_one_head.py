"""one head: the features' branches of migrations joined, so `alembic upgrade head` works

Each feature added its tables on a branch of its own (committees, ideas and digests, the
dashboard, guards, the intake, personal data), and `hanya db upgrade` went to every head. A
plain `alembic upgrade head`, which an operator types, failed with "multiple heads". This
revision changes nothing in the schema; it only makes the history one line again.

Revision ID: 0011
Revises: 0003, 0006, 0009, 0010b, 0010c
"""
from __future__ import annotations

from collections.abc import Sequence

revision: str = "0011"
down_revision: str | Sequence[str] | None = ("0003", "0006", "0009", "0010b", "0010c")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
