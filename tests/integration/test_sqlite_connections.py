"""SQLite connections belong to the event loop's thread (meria.sqlite_inline)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from meria.db import Database


async def test_a_connection_refuses_a_call_from_another_thread(tmp_path: Path) -> None:
    """Shared across threads, sqlite3's objects can corrupt memory: a call from another
    thread must fail with an error, and the connection go on working on its own."""
    database = Database(f"sqlite:///{tmp_path / 'own-thread.db'}")
    try:
        async with database.engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            assert isinstance(raw, sqlite3.Connection)
            with pytest.raises(sqlite3.ProgrammingError, match="same thread"):
                await asyncio.to_thread(raw.execute, "SELECT 1")
            assert (await connection.execute(text("SELECT 'ახმეტა'"))).scalar_one() == "ახმეტა"
    finally:
        await database.dispose()
