"""`meria db provision`: a PostgreSQL role and database per service, as its URL names them."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from meria import provision

pytestmark = pytest.mark.database

SERVER = os.environ.get("MERIA_TEST_DATABASE_URL", "")


@pytest.fixture
async def superuser() -> AsyncIterator[asyncpg.Connection]:
    if not SERVER:
        pytest.skip("MERIA_TEST_DATABASE_URL names no PostgreSQL server")
    connection = await provision.connect(SERVER, wait_seconds=10)
    yield connection
    await connection.close()


def service_url(name: str, password: str) -> str:
    server = make_url(SERVER)
    return str(
        server.set(username=name, password=password, database=name).render_as_string(
            hide_password=False
        )
    )


async def drop(connection: asyncpg.Connection, *names: str) -> None:
    for name in names:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'DROP ROLE IF EXISTS "{name}"')


async def test_each_service_owns_its_database_and_no_other_role_connects(
    superuser: asyncpg.Connection,
) -> None:
    suffix = uuid.uuid4().hex[:8]
    publishing, website = f"meria_publishing_{suffix}", f"meria_website_{suffix}"
    urls = {name: service_url(name, f"პაროლი-{name}-'quoted'") for name in (publishing, website)}
    try:
        for name, url in urls.items():
            done = await provision.provision(superuser, provision.target_of(url, "URL"))
            assert (done.role, done.database, done.created) == (name, name, True)

        # Each service logs in to its own database and creates its tables there…
        dsn = make_url(urls[publishing]).set(drivername="postgresql")
        own = await asyncpg.connect(dsn.render_as_string(hide_password=False))
        await own.execute("CREATE TABLE documents (id integer)")
        await own.close()
        # …and cannot as much as connect to another's.
        other = make_url(urls[publishing]).set(drivername="postgresql", database=website)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await asyncpg.connect(other.render_as_string(hide_password=False))

        # Again: nothing is made twice, and a changed password is the one that counts.
        changed = service_url(publishing, "a-new-password-after-rotation")
        again = await provision.provision(superuser, provision.target_of(changed, "URL"))
        assert (again.role, again.created) == (publishing, False)
        dsn = make_url(changed).set(drivername="postgresql")
        rotated = await asyncpg.connect(dsn.render_as_string(hide_password=False))
        assert await rotated.fetchval("SELECT count(*) FROM documents") == 0
        await rotated.close()
    finally:
        await drop(superuser, publishing, website)


def test_a_url_without_role_password_or_database_is_refused_in_one_line() -> None:
    with pytest.raises(provision.ProvisionError, match="must name a user, a password"):
        provision.target_of("postgresql+asyncpg://postgres:5432/meria", "MERIA_X_DATABASE_URL")
    with pytest.raises(provision.ProvisionError, match="is not a PostgreSQL URL"):
        provision.target_of("sqlite+aiosqlite:///var/x.db", "MERIA_X_DATABASE_URL")
