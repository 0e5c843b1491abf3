"""The Alembic environment every service shares; each service keeps its own revisions.

Meria runs Alembic from code (`meria migrate`, `meria db revision`), handing over an open
connection and the service's metadata in `config.attributes`.
"""

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.types import TypeDecorator

config = context.config


def render_item(kind: str, item: Any, autogen: AutogenContext) -> str | Literal[False]:
    # A migration needs the column's database type, not Meria's Python-side decorator.
    if kind == "type" and isinstance(item, TypeDecorator):
        return f"sa.{item.impl!r}"
    return False


def include_name(name: str | None, kind: str, parent_names: Any) -> bool:
    # Indexes a migration made by hand (SQLite's FTS5 tables, named `*_fts`, and their
    # shadow tables `*_fts_*`; PostgreSQL's expression indexes) are not in the models;
    # leave them alone.
    name = name or ""
    return not (name.endswith("_fts") or "_fts_" in name or name == "ix_search_entries_stems")


connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=config.attributes["target_metadata"],
    # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=render_item,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
