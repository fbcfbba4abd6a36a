"""a column mapping kept per person for update logs: a lead's own log headers are theirs, not everyone's

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode: SQLite changes a table's constraints by copying it; PostgreSQL alters it in place.
    with op.batch_alter_table("columnmapping") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=254), nullable=False, server_default=""))
        batch.drop_constraint("uq_columnmapping_kind_header", type_="unique")
        batch.create_unique_constraint("uq_columnmapping_kind_owner_header", ["kind", "owner", "header_key"])


def downgrade() -> None:
    with op.batch_alter_table("columnmapping") as batch:
        batch.drop_constraint("uq_columnmapping_kind_owner_header", type_="unique")
        batch.drop_column("owner")
        batch.create_unique_constraint("uq_columnmapping_kind_header", ["kind", "header_key"])
