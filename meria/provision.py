"""A PostgreSQL role and database for each service, as its MERIA_<SERVICE>_DATABASE_URL
names them: what a server's administrator does once, before the first migration.

Each service logs in as a role of its own that owns its database and nothing else, and no
other role may connect to that database, so no service reads another's data. Running it
again changes nothing but a role's password, which follows the URL (a rotated password
takes effect at the next run).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg
from sqlalchemy.engine import URL, make_url


class ProvisionError(Exception):
    """A database URL that names no PostgreSQL role and database, or a server that is not
    there; one line for the operator."""


@dataclass(frozen=True)
class Provisioned:
    role: str
    database: str
    created: bool


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def target_of(database_url: str, setting: str) -> URL:
    url = make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        raise ProvisionError(f"{setting} is not a PostgreSQL URL ({url.drivername})")
    if not url.username or not url.password or not url.database:
        raise ProvisionError(f"{setting} must name a user, a password and a database")
    return url


async def connect(superuser_url: str, wait_seconds: float) -> asyncpg.Connection:
    """Connect as the server's superuser, waiting for a server that is still starting."""
    url = make_url(superuser_url).set(drivername="postgresql")
    dsn = url.render_as_string(hide_password=False)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    while True:
        try:
            connection: asyncpg.Connection = await asyncpg.connect(dsn, timeout=5)
            return connection
        except (OSError, asyncpg.CannotConnectNowError, TimeoutError) as error:
            if loop.time() >= deadline:
                where = url.render_as_string(hide_password=True)
                raise ProvisionError(f"PostgreSQL at {where} does not answer: {error}") from None
            await asyncio.sleep(1)


async def provision(connection: asyncpg.Connection, target: URL) -> Provisioned:
    """The role and database of one service; harmless to repeat."""
    role, database = str(target.username), str(target.database)
    password = str(target.password)
    exists = await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    verb = "ALTER" if exists else "CREATE"
    await connection.execute(
        f"{verb} ROLE {_identifier(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
        f"PASSWORD {_literal(password)}"
    )
    created = not await connection.fetchval(
        "SELECT 1 FROM pg_database WHERE datname = $1", database
    )
    if created:
        await connection.execute(
            f"CREATE DATABASE {_identifier(database)} OWNER {_identifier(role)} "
            "ENCODING 'UTF8' TEMPLATE template0"
        )
    await connection.execute(f"REVOKE ALL ON DATABASE {_identifier(database)} FROM PUBLIC")
    return Provisioned(role, database, created)
