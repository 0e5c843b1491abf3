"""An event's gallery and recording

Revision ID: 7c3d9e21a4f6
Revises: 22089f75925c
Create Date: 2026-12-07 22:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c3d9e21a4f6"
down_revision: str | None = "22089f75925c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("photos", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("video_url", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("video_url")
        batch_op.drop_column("photos")
