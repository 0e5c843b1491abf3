"""Last reviewed of standing pages

Revision ID: 8b2d6e4a9c11
Revises: 962a9b8b020d
Create Date: 2026-12-08 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8b2d6e4a9c11"
down_revision: str | None = "962a9b8b020d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("public_documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_reviewed_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("public_documents", schema=None) as batch_op:
        batch_op.drop_column("last_reviewed_at")
