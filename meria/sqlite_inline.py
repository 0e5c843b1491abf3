"""SQLite for the async engine without a thread hop per call.

The aiosqlite driver sends every cursor call to a thread of its own and back: four hops
per statement, which measured here at 3–4 ms of CPU per small transaction against
0.25 ms for the same work in plain `sqlite3` (see the bus benchmark in bench/bus.py).
SQLite answers from local files in microseconds, so this dialect calls `sqlite3`
directly from SQLAlchemy's greenlet on the event loop.

What that asks of the caller, and what `meria.db.Database` does for it: a write
transaction must never wait on SQLite's lock inside the loop, so writers of one process
queue on an asyncio lock before `BEGIN IMMEDIATE`; readers in WAL mode never wait.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.util import await_only


async def _done() -> None:
    return None


class _Cursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """What SQLAlchemy's async results call on an async driver's cursor: rows are
        already fetched here, so there is nothing to release."""


class _Connection(sqlite3.Connection):
    def cursor(self, factory: Any = _Cursor) -> Any:
        return super().cursor(factory)


class SQLiteDialect_inline(SQLiteDialect_pysqlite):  # named as SQLAlchemy names dialects
    driver = "meria"
    is_async = True
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> Any:
        return sqlite3

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool

    def get_driver_connection(self, connection: Any) -> Any:
        return connection

    def create_connect_args(self, url: URL) -> Any:
        arguments, options = super().create_connect_args(url)
        # A connection belongs to the thread that opened it, the event loop's. Shared across
        # threads, sqlite3's objects can corrupt memory (python/cpython#146471, #123873);
        # with this set, sqlite3 refuses a call from another thread with an error instead.
        # Said explicitly: SQLAlchemy's SQLite dialect turns it off for file databases.
        options["check_same_thread"] = True
        options["factory"] = _Connection
        return arguments, options

    # SQLAlchemy's async API checks that a call really went through an async driver; one
    # await of a finished coroutine satisfies it without ever suspending.
    def do_execute(self, cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        await_only(_done())
        cursor.execute(statement, parameters)

    def do_execute_no_params(self, cursor: Any, statement: str, context: Any = None) -> None:
        await_only(_done())
        cursor.execute(statement)

    def do_executemany(
        self, cursor: Any, statement: str, parameters: Any, context: Any = None
    ) -> None:
        await_only(_done())
        cursor.executemany(statement, parameters)


registry.register("sqlite.meria", __name__, "SQLiteDialect_inline")
