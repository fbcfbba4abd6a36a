"""the same bytes are loaded once: a unique index on upload.sha256 where the outcome is 'loaded'

Two uploads of the same file at the same moment could both find it not yet loaded and both load it. The loader
now takes a write lock first; this index makes the database itself refuse a second 'loaded' record for the same
bytes. A database that already lost that race keeps its first load, and each later one is marked a duplicate of
it (its rows stay, attributed to it, so nothing is lost).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOADED = sa.text("outcome = 'loaded'")


def upgrade() -> None:
    op.execute(
        "UPDATE upload SET outcome = 'duplicate', duplicate_of = ("
        "SELECT MIN(first.id) FROM upload AS first WHERE first.sha256 = upload.sha256 AND first.outcome = 'loaded'"
        ") WHERE outcome = 'loaded' AND id > ("
        "SELECT MIN(first.id) FROM upload AS first WHERE first.sha256 = upload.sha256 AND first.outcome = 'loaded')"
    )
    op.create_index(
        "ux_upload_loaded_sha256",
        "upload",
        ["sha256"],
        unique=True,
        sqlite_where=LOADED,
        postgresql_where=LOADED,
    )


def downgrade() -> None:
    op.drop_index("ux_upload_loaded_sha256", table_name="upload")
