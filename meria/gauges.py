"""Gauges read at the moment Prometheus scrapes: readiness, the last backup, the disk,
dead letters.

Each is cheap (a small file, `statvfs`, a count over an index), and a failure to read one
leaves the gauge as it was, so `/metrics` always answers.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from sqlalchemy import func, select

from meria.logging import get_logger
from meria.metrics import (
    BACKUP_LAST_SUCCESS,
    BACKUP_SIZE,
    DEAD_LETTERS_OPEN,
    DISK_FREE,
    DISK_SIZE,
    READY,
)
from meria.runtime import Runtime

log = get_logger(__name__)


def _read_folders(var_dir: Path, backups: Path) -> None:
    from meria.backup import latest_backup

    note = latest_backup(backups)
    if note is not None:
        BACKUP_LAST_SUCCESS.set(float(note["finished_at"]))
        BACKUP_SIZE.set(float(note["size"]))
    for label, folder in (("var", var_dir), ("backups", backups)):
        if folder.exists():
            usage = shutil.disk_usage(folder)
            DISK_FREE.labels(label).set(usage.free)
            DISK_SIZE.labels(label).set(usage.total)


async def refresh(runtime: Runtime) -> None:
    """Bring the scrape-time gauges up to date, then the service's own (`parts.scrape`)."""
    settings = runtime.settings
    for check, state in (await runtime.readiness()).items():
        READY.labels(check).set(1 if state == "ok" else 0)
    await asyncio.to_thread(_read_folders, settings.var_dir, settings.backups)
    tables = runtime.parts.tables
    if runtime.database is not None and tables is not None:
        try:
            async with asyncio.timeout(2), runtime.database.session() as session:
                count = await session.scalar(
                    select(func.count())
                    .select_from(tables.dead_letters)
                    .where(tables.dead_letters.c.status == "open")
                )
            DEAD_LETTERS_OPEN.labels(runtime.parts.name).set(count or 0)
        except Exception as error:
            log.warning("metrics.dead_letters_unread", error=str(error)[:200])
    for scrape in runtime.parts.scrape:
        try:
            async with asyncio.timeout(3):
                await scrape(runtime)
        except Exception as error:
            log.warning("metrics.scrape_failed", error=str(error)[:200])
