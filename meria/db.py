"""Databases: an async SQLAlchemy engine and sessions per service, and its Alembic migrations.

SQLite (WAL, a file per service under `var/`) is the embedded default; PostgreSQL is
chosen by URL. On SQLite a write transaction starts with `BEGIN IMMEDIATE`, so two
writers queue on the busy timeout instead of failing when one upgrades a read lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Connection,
    DateTime,
    Dialect,
    MetaData,
    Row,
    Select,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.ext import asyncio as sa_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A moment in time, stored in UTC and always read back with its zone (SQLite forgets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a moment without a time zone cannot be stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


AFTER_COMMIT = "meria_after_commit"


class CallbackSession(Session):
    """A session that runs what its transaction asked to run once it has committed."""


@event.listens_for(CallbackSession, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released: the transaction itself goes on
    for _, callback in session.info.pop(AFTER_COMMIT, ()):
        callback()


@event.listens_for(CallbackSession, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction: Any) -> None:
    if not previous_transaction.nested:
        session.info.pop(AFTER_COMMIT, None)
        return
    # A savepoint rolled back: forget what was asked inside it, and only that.
    session.info[AFTER_COMMIT] = [
        (owner, callback)
        for owner, callback in session.info.get(AFTER_COMMIT, ())
        if not _inside(owner, previous_transaction)
    ]


def _inside(owner: Any, transaction: Any) -> bool:
    while owner is not None:
        if owner is transaction:
            return True
        owner = owner.parent
    return False


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's transaction commits: never if it rolls back, nor
    if the savepoint it was asked in rolls back; not when a savepoint is released, only
    when the transaction itself commits. Registered once however often it is asked."""
    sync = session.sync_session
    callbacks: list[tuple[Any, Callable[[], None]]] = sync.info.setdefault(AFTER_COMMIT, [])
    if all(registered != callback for _, registered in callbacks):
        callbacks.append((sync.get_nested_transaction(), callback))


def count_of(query: Select[Any]) -> Select[tuple[int]]:
    """How many rows `query` finds, counted without its order: SQLite reads an ordered
    subquery row by row, whole rows and their texts, where the same count without the
    order is answered from an index (40 ms against nothing at 50,000 rows)."""
    return select(func.count()).select_from(query.order_by(None).subquery())


def new_metadata() -> MetaData:
    """Each service's tables live in a metadata of their own, migrated on their own."""
    return MetaData(naming_convention=NAMING_CONVENTION)


_IMMEDIATE = "meria_immediate"

# Rows read per query by `rows_in_pages`: each page holds the loop for a few milliseconds.
PAGE_ROWS = 500


async def rows_in_pages(session: AsyncSession, query: Select[Any]) -> list[Row[Any]]:
    """Every row of an ordered query, a page at a time, letting the event loop answer
    others between pages: the SQLite driver never suspends on its own, and thousands of
    rows turned into Python objects at once hold the loop for that long. For reads of
    thousands (a feed, a sitemap), not millions: each page skips the ones before it."""
    found: list[Row[Any]] = []
    while True:
        page = (await session.execute(query.limit(PAGE_ROWS).offset(len(found)))).all()
        found.extend(page)
        if len(page) < PAGE_ROWS:
            return found
        await asyncio.sleep(0)


class Database:
    """One service's database: engine, sessions and health."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL", pool_size: int = 10):
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        options: dict[str, Any] = {"pool_pre_ping": not self.is_sqlite}
        # Writers of this process queue here, never inside SQLite's own lock (see below).
        self._write_lock = asyncio.Lock()
        if self.is_sqlite:
            import meria.sqlite_inline  # noqa: F401 (registers the dialect)

            # Whatever SQLite driver the URL names, calls go straight to sqlite3.
            self.url = self.url.set(drivername="sqlite+meria")
            if self.url.database and self.url.database != ":memory:":
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            # Only another process can hold the lock now (a migration, a rebuild): wait
            # for it, but not for long, since the wait blocks this process's loop.
            options["connect_args"] = {"timeout": 10}
        else:
            options["pool_size"] = pool_size
            # A client that vanished mid-transaction (a power cut) must not hold its locks
            # until TCP notices: the server ends such a transaction after a minute.
            options["connect_args"] = {
                "server_settings": {"idle_in_transaction_session_timeout": "60000"}
            }
        # Looked up on the module, so the OpenTelemetry instrumentation's wrapper applies.
        self.engine: AsyncEngine = sa_asyncio.create_async_engine(self.url, **options)
        if self.is_sqlite:
            _prepare_sqlite(self.engine, sqlite_synchronous)
        self.sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=CallbackSession
        )
        # Write transactions begin with `BEGIN IMMEDIATE` on SQLite (see `_prepare_sqlite`):
        # the same pool, an engine whose connections carry the option from the start.
        self._write_sessions = async_sessionmaker(
            self.engine.execution_options(**{_IMMEDIATE: True}),
            expire_on_commit=False,
            sync_session_class=CallbackSession,
        )

    def session(self) -> AsyncSession:
        """A session for reading; use `transaction()` to write."""
        return self.sessions()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A write transaction, committed when the block ends without an error.

        On SQLite the process's write transactions take turns on an asyncio lock before
        `BEGIN IMMEDIATE`: SQLite runs on the event loop (meria.sqlite_inline), so waiting
        in SQLite's busy handler would stall the loop and the transaction it waits for.
        Do not open a transaction inside another on the same database.
        """
        if not self.is_sqlite:
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._write_lock, self._write_sessions() as session, session.begin():
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _prepare_sqlite(engine: AsyncEngine, synchronous: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see "begin").
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


MIGRATIONS_ENVIRONMENT = Path(__file__).parent / "migrations"


def alembic_config(versions: Path, url: str, metadata: MetaData | None = None) -> Config:
    """Alembic for one service: the shared environment, the service's own revisions."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_ENVIRONMENT))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(versions))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(slug)s_%%(rev)s")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["target_metadata"] = metadata
    return config


async def migrate(
    database: Database, versions: Path, metadata: MetaData, revision: str = "head"
) -> None:
    """Bring a service's database to `revision` with its Alembic migrations."""
    url = database.url.render_as_string(hide_password=False)
    config = alembic_config(versions, url, metadata)

    def upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with database.engine.begin() as connection:
        await connection.run_sync(upgrade)


async def make_revision(
    database: Database, versions: Path, metadata: MetaData, message: str
) -> None:
    """Write a new revision of a service's schema, autogenerated against its database."""
    url = database.url.render_as_string(hide_password=False)
    config = alembic_config(versions, url, metadata)

    def revise(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)

    async with database.engine.begin() as connection:
        await connection.run_sync(revise)
