"""update rounds: the round, the actions it expects, the reminders sent

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "update_round",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("meeting", sa.Date(), nullable=True),
        sa.Column("plan_id", sa.Integer(), sa.ForeignKey("plan.id"), nullable=False),
        sa.Column("opened_by", sa.String(length=254), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=254), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("plan_id", "name", name="uq_update_round_plan_name"),
    )
    op.create_index("ix_update_round_plan_id", "update_round", ["plan_id"])
    op.create_table(
        "update_round_action",
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("update_round.id"), primary_key=True),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("action.id"), primary_key=True),
    )
    op.create_table(
        "round_reminder",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("update_round.id"), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_by", sa.String(length=254), nullable=False),
        sa.Column("refs", sa.JSON(), nullable=False),
        sa.UniqueConstraint("round_id", "email", "sent_on", name="uq_round_reminder_once_a_day"),
    )
    op.create_index("ix_round_reminder_round_id", "round_reminder", ["round_id"])


def downgrade() -> None:
    op.drop_index("ix_round_reminder_round_id", table_name="round_reminder")
    op.drop_table("round_reminder")
    op.drop_table("update_round_action")
    op.drop_index("ix_update_round_plan_id", table_name="update_round")
    op.drop_table("update_round")
