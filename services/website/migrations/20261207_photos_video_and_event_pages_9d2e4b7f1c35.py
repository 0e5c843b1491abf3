"""Photos, video and event pages

Revision ID: 9d2e4b7f1c35
Revises: c170d537a692
Create Date: 2026-12-07 22:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d2e4b7f1c35"
down_revision: str | None = "c170d537a692"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("public_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("photos", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("video_url", sa.String(length=1000), nullable=True))
    with op.batch_alter_table("public_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("photos", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("video_url", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("public_events", schema=None) as batch_op:
        batch_op.drop_column("video_url")
        batch_op.drop_column("photos")
        batch_op.drop_column("kind")
    with op.batch_alter_table("public_documents", schema=None) as batch_op:
        batch_op.drop_column("video_url")
        batch_op.drop_column("photos")
