"""How the website knows that what it rendered is out of date.

Every change of the read model counts up the one row of `read_model_version` in the
transaction that makes the change (`read_model_changed`). The process that commits it
also counts the change in memory as soon as the commit is done, so its own pages change
at once; other processes (a second website process, `meria website rebuild` run beside
the site) notice the row within a second or so (`Freshness.version`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Generic, TypeVar

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from meria import municipality
from meria.db import Database, after_commit
from meria.logging import get_logger
from services.website.models import ReadModelVersion

log = get_logger(__name__)
VERSION_ROW = 1
T = TypeVar("T")


class CommittedHere:
    """Changes of one database's read model committed by this process (an after-commit
    callback: the same object for every transaction on that database)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


_committed_here: dict[str, CommittedHere] = {}


def committed_here(database_url: str) -> CommittedHere:
    return _committed_here.setdefault(database_url, CommittedHere())


async def read_model_changed(session: AsyncSession) -> None:
    """Count a change of the read model, in the transaction that makes it."""
    now = datetime.now(UTC)
    counted = await session.execute(
        update(ReadModelVersion)
        .where(ReadModelVersion.id == VERSION_ROW)
        .values(version=ReadModelVersion.version + 1, changed_at=now)
    )
    assert isinstance(counted, CursorResult)
    if counted.rowcount == 0:  # a database the migration's row was taken from
        session.add(ReadModelVersion(id=VERSION_ROW, version=1, changed_at=now))
    after_commit(session, committed_here(str(session.sync_session.get_bind().engine.url)))


class Freshness:
    """The read model's version as one website process sees it: its own commits at
    once, the database's row at most `check_seconds` late."""

    def __init__(self, database: Database, check_seconds: float) -> None:
        self.database = database
        self.check_seconds = check_seconds
        self.here = committed_here(str(database.engine.url))
        self.stored = -1
        self.checked_at = -check_seconds

    async def version(self) -> tuple[int, int]:
        now = time.monotonic()
        if now - self.checked_at >= self.check_seconds:
            # Set first: requests arriving meanwhile go on with the version known so far.
            self.checked_at = now
            try:
                async with self.database.session() as session:
                    stored = await session.scalar(
                        select(ReadModelVersion.version).where(ReadModelVersion.id == VERSION_ROW)
                    )
                self.stored = int(stored or 0)
            except Exception as error:  # pages already rendered are still worth serving
                log.warning("website.version_unknown", error=str(error).splitlines()[0][:200])
        # A new municipality profile changes every page, as a change committed here does.
        return self.here.count + municipality.changes_seen(), self.stored


class Remembered(Generic[T]):
    """Something every page shows (the menu of standing pages), read once per version of
    the read model."""

    def __init__(self, freshness: Freshness, read: Callable[[], Awaitable[T]]) -> None:
        self.freshness = freshness
        self.read = read
        self._version: tuple[int, int] | None = None
        self._value: T | None = None

    async def get(self) -> T:
        version = await self.freshness.version()  # before reading: never newer than the value
        if self._value is None or version != self._version:
            self._value = await self.read()
            self._version = version
        return self._value
