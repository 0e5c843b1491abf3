"""Acts that change acts

Revision ID: 9668bab6dad3
Revises: 2be790b00e0c
Create Date: 2026-12-07 18:49:37.386530

A legal act's entry into force and what it amends, repeals or suspends (`act_changes`,
found by the act it changes); a consolidated text's day and the amending acts it applies;
the day an act's condition was met. A change of kind "consolidation" is longer than ten
characters, which only PostgreSQL holds a column to.

The columns are added in place on SQLite too: rebuilding `editions` in batch mode would
drop the triggers that keep its text index (`editions_fts`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9668bab6dad3"
down_revision: str | None = "2be790b00e0c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EDITION_COLUMNS = (
    "entry_into_force",
    "entry_into_force_on",
    "entry_condition_ka",
    "entry_condition_en",
    "consolidated_as_of",
    "incorporates",
    "incorporated_changes",
)


def upgrade() -> None:
    op.create_table(
        "act_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("target_document_id", sa.Integer(), nullable=False),
        sa.Column("target_register_number", sa.String(length=40), nullable=True),
        sa.Column("target_document_type", sa.String(length=40), nullable=False),
        sa.Column("target_title_ka", sa.String(length=500), nullable=False),
        sa.Column("articles", sa.JSON(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["edition_id"], ["editions.id"], name=op.f("fk_act_changes_edition_id_editions")
        ),
        sa.ForeignKeyConstraint(
            ["target_document_id"],
            ["documents.id"],
            name=op.f("fk_act_changes_target_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_act_changes")),
    )
    op.create_index(op.f("ix_act_changes_edition_id"), "act_changes", ["edition_id"])
    op.create_index(
        op.f("ix_act_changes_target_document_id"), "act_changes", ["target_document_id"]
    )
    op.add_column("documents", sa.Column("condition_met_on", sa.Date(), nullable=True))
    op.add_column("editions", sa.Column("entry_into_force", sa.String(length=12), nullable=True))
    op.add_column("editions", sa.Column("entry_into_force_on", sa.Date(), nullable=True))
    op.add_column("editions", sa.Column("entry_condition_ka", sa.Text(), nullable=True))
    op.add_column("editions", sa.Column("entry_condition_en", sa.Text(), nullable=True))
    op.add_column("editions", sa.Column("consolidated_as_of", sa.Date(), nullable=True))
    for column in ("incorporates", "incorporated_changes"):
        op.add_column(
            "editions",
            sa.Column(column, sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
        )
    if op.get_bind().dialect.name != "sqlite":  # SQLite does not hold a VARCHAR to its length
        op.alter_column(
            "editions",
            "change_kind",
            existing_type=sa.String(length=10),
            type_=sa.String(length=20),
            existing_nullable=True,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "editions",
            "change_kind",
            existing_type=sa.String(length=20),
            type_=sa.String(length=10),
            existing_nullable=True,
        )
    for column in EDITION_COLUMNS:
        op.execute(f"ALTER TABLE editions DROP COLUMN {column}")
    op.execute("ALTER TABLE documents DROP COLUMN condition_met_on")
    op.drop_index(op.f("ix_act_changes_target_document_id"), table_name="act_changes")
    op.drop_index(op.f("ix_act_changes_edition_id"), table_name="act_changes")
    op.drop_table("act_changes")
