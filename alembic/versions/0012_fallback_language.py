"""fallback language: the language a person reads when a text is missing in their own

French was the only fallback; a person may now choose English instead (``FALLBACK EN``,
``handlers/fallback.py``). Null means the default chain (the language's own fallbacks, then
French).

Revision ID: 0012
Revises: 0011
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("fallback_language", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("fallback_language")
