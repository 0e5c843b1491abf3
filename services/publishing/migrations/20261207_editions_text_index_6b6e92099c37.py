"""Editions' text index

Revision ID: 6b6e92099c37
Revises: e07547b32f1f
Create Date: 2026-12-07 07:30:00.000000

Staff look for words anywhere in an edition's titles, summary and text. On SQLite an
FTS5 table with the trigram tokenizer over those columns of `editions` (external
content: it holds the index, not a second copy of the texts) finds a phrase of three
characters or more, case-insensitively, without reading a hundred thousand texts; the
triggers keep it with every edition written, changed or deleted. PostgreSQL keeps
reading the texts (a pg_trgm index would serve it, where the role may create the
extension).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "6b6e92099c37"
down_revision: str | None = "e07547b32f1f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "title_ka, title_en, summary_ka, body_ka"
NEW = "new.id, new.title_ka, new.title_en, new.summary_ka, new.body_ka"
OLD = "'delete', old.id, old.title_ka, old.title_en, old.summary_ka, old.body_ka"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        f"CREATE VIRTUAL TABLE editions_fts USING fts5({COLUMNS}, content='editions', "
        "content_rowid='id', tokenize='trigram')"
    )
    op.execute("INSERT INTO editions_fts(editions_fts) VALUES ('rebuild')")
    op.execute(
        "CREATE TRIGGER editions_fts_insert AFTER INSERT ON editions BEGIN "
        f"INSERT INTO editions_fts(rowid, {COLUMNS}) VALUES ({NEW}); END"
    )
    op.execute(
        "CREATE TRIGGER editions_fts_delete AFTER DELETE ON editions BEGIN "
        f"INSERT INTO editions_fts(editions_fts, rowid, {COLUMNS}) VALUES ({OLD}); END"
    )
    op.execute(
        f"CREATE TRIGGER editions_fts_update AFTER UPDATE OF {COLUMNS} ON editions BEGIN "
        f"INSERT INTO editions_fts(editions_fts, rowid, {COLUMNS}) VALUES ({OLD}); "
        f"INSERT INTO editions_fts(rowid, {COLUMNS}) VALUES ({NEW}); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS editions_fts_{trigger}")
    op.execute("DROP TABLE IF EXISTS editions_fts")
