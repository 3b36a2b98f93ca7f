"""idea box (ideas, sensitive feedback, reference counter), digest runs, failure index

Revision ID: 0004
Revises: 0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.core.models.UTCDateTime(timezone=True)


def _submission_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("status_changed_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    ]


def upgrade() -> None:
    op.create_table(
        "ideas",
        *_submission_columns(),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("theme", sa.String(length=24), nullable=True),
        sa.Column("organisation_type", sa.String(length=24), nullable=True),
    )
    op.create_index("ix_ideas_contact_id", "ideas", ["contact_id"])
    op.create_index("ix_ideas_created_at", "ideas", ["created_at"])
    op.create_table(
        "sensitive_feedback",
        *_submission_columns(),
        sa.Column("text_enc", sa.Text(), nullable=False),
        sa.Column("follow_up", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_sensitive_feedback_contact_id", "sensitive_feedback", ["contact_id"])
    op.create_index("ix_sensitive_feedback_created_at", "sensitive_feedback", ["created_at"])
    op.create_table(
        "idea_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "digest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["recipient_id"], ["recipients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest", "period", "recipient_id", name="uq_digest_run"),
    )
    op.create_index("ix_digest_runs_recipient_id", "digest_runs", ["recipient_id"])
    op.create_index("ix_outbox_status_attempt", "outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_status_attempt", table_name="outbox")
    op.drop_table("digest_runs")
    op.drop_table("idea_counters")
    op.drop_table("sensitive_feedback")
    op.drop_table("ideas")
