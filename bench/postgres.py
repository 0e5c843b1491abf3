"""Databases of a benchmark's own on a PostgreSQL server (`--postgres URL`): each made
empty for one process of one run, and dropped when the benchmark ends."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy import make_url


async def _admin(server: str) -> asyncpg.Connection:
    url = make_url(server)
    return await asyncpg.connect(
        user=url.username, password=url.password, host=url.host, port=url.port or 5432,
        database=url.database or "postgres", timeout=10,
    )  # fmt: skip


async def create_database(server: str, name: str) -> str:
    """A new, empty database `name` on `server`; its URL (SQLAlchemy's, with asyncpg)."""
    connection = await _admin(server)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


async def remove_databases(server: str, names: list[str]) -> None:
    connection = await _admin(server)
    try:
        for name in names:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def new_database(server: str, name: str) -> str:
    """`create_database` for a caller outside an event loop."""
    return asyncio.run(create_database(server, name))


def drop_databases(server: str, names: list[str]) -> None:
    """`remove_databases` for a caller outside an event loop."""
    asyncio.run(remove_databases(server, names))
