"""watch committees, members, enrolment codes, reports, report links, reference counter, SOS

Revision ID: 0003
Revises: 0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.core.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "committees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("point_id", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "committee_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("joined_at", UTC, nullable=False),
        sa.Column("left_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["committee_id"], ["committees.id"]),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_committee_members_committee_id", "committee_members", ["committee_id"])
    op.create_index("ix_committee_members_contact_id", "committee_members", ["contact_id"])
    op.create_table(
        "enrolment_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.Column("used_by_member_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["committee_id"], ["committees.id"]),
        sa.ForeignKeyConstraint(["used_by_member_id"], ["committee_members.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index("ix_enrolment_codes_committee_id", "enrolment_codes", ["committee_id"])
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("reporter", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("point_id", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=True),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.Column("occurred_precision", sa.String(length=8), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("women", sa.Integer(), nullable=True),
        sa.Column("children", sa.Integer(), nullable=True),
        sa.Column("description_enc", sa.Text(), nullable=True),
        sa.Column("raw_text_enc", sa.Text(), nullable=True),
        sa.Column("media_kind", sa.String(length=8), nullable=True),
        sa.Column("media_file_id", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("corroborated", sa.Boolean(), nullable=False),
        sa.Column("status_changed_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["committee_id"], ["committees.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["committee_members.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    op.create_index("ix_reports_committee_id", "reports", ["committee_id"])
    op.create_index("ix_reports_reporter", "reports", ["reporter"])
    op.create_index("ix_reports_received_at", "reports", ["received_at"])
    op.create_index("ix_reports_point_category_time", "reports",
                    ["point_id", "category", "occurred_at"])
    op.create_table(
        "report_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["other_id"], ["reports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_id", "other_id", "kind", name="uq_report_link"),
    )
    op.create_index("ix_report_links_report_id", "report_links", ["report_id"])
    op.create_index("ix_report_links_other_id", "report_links", ["other_id"])
    op.create_table(
        "report_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "sos_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("point_id", sa.String(length=40), nullable=True),
        sa.Column("region", sa.String(length=8), nullable=True),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sos_events_at", "sos_events", ["at"])


def downgrade() -> None:
    op.drop_table("sos_events")
    op.drop_table("report_counters")
    op.drop_table("report_links")
    op.drop_table("reports")
    op.drop_table("enrolment_codes")
    op.drop_table("committee_members")
    op.drop_table("committees")
