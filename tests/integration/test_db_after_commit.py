"""What a transaction asks to run after it commits runs then, and only for what committed."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, text

from meria.db import Database, after_commit
from tests.support import bus_app


async def test_savepoints_neither_run_early_nor_keep_what_they_rolled_back(
    database_url: str,
) -> None:
    database = Database(database_url)
    await bus_app.create_schema(database)
    ran: list[str] = []
    try:
        async with database.transaction() as session:
            await session.execute(insert(bus_app.parcels).values(number=1, note="ამანათი"))
            after_commit(session, lambda: ran.append("the transaction"))
            with pytest.raises(RuntimeError):
                async with session.begin_nested():
                    after_commit(session, lambda: ran.append("a savepoint rolled back"))
                    raise RuntimeError("ეს ნაწილი უქმდება")
            async with session.begin_nested():
                after_commit(session, lambda: ran.append("a savepoint released"))
                with pytest.raises(RuntimeError):
                    async with session.begin_nested():
                        after_commit(session, lambda: ran.append("inside it, rolled back"))
                        raise RuntimeError("ეს ნაწილიც")
            assert ran == []  # a savepoint's release is not the commit
        assert ran == ["the transaction", "a savepoint released"]

        ran.clear()
        with pytest.raises(RuntimeError):
            async with database.transaction() as session:
                await session.execute(text("SELECT 1"))
                after_commit(session, lambda: ran.append("never"))
                async with session.begin_nested():
                    after_commit(session, lambda: ran.append("never either"))
                raise RuntimeError("the whole transaction rolls back")
        assert ran == []
    finally:
        await database.dispose()
