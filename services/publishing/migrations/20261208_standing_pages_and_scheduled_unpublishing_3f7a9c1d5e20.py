"""Standing pages' owners and review dates; scheduled unpublishing

Revision ID: 3f7a9c1d5e20
Revises: 2d73f8b13392
Create Date: 2026-12-08 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f7a9c1d5e20"
down_revision: str | None = "2d73f8b13392"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("review_every_months", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("next_review_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("last_reviewed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("reviewed_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("unpublish_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("unpublish_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("unpublish_scheduled_by", sa.String(length=200), nullable=True)
        )
        batch_op.create_index("ix_documents_next_review_at", ["next_review_at"], unique=False)
        batch_op.create_index("ix_documents_unpublish_at", ["unpublish_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_unpublish_at")
        batch_op.drop_index("ix_documents_next_review_at")
        for column in (
            "unpublish_scheduled_by",
            "unpublish_reason",
            "unpublish_at",
            "reviewed_by",
            "last_reviewed_at",
            "next_review_at",
            "review_every_months",
            "owner",
        ):
            batch_op.drop_column(column)
