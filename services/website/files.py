"""The website's own copies of published files.

Files never travel on the bus: an event names each attachment's URL, size and SHA-256.
This job fetches every file once over HTTP, checks the hash, checks that the content is
what the event says it is and that no picture still carries where it was taken (the
kernel's `meria.uploads.refusal_of_copy`), and keeps the copy under its hash; the site
serves only checked copies, so it keeps serving when publishing is down. A copy is served
as the kernel serves every file: never sniffed, and downloaded unless it is a picture or
a PDF.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi.responses import FileResponse
from sqlalchemy import select

from meria import uploads
from meria.db import Database
from meria.logging import get_logger
from services.website.freshness import read_model_changed
from services.website.models import PublicAttachment

log = get_logger(__name__)
MAX_ATTEMPTS = 20
REFUSED = "not served: "


def stored_path(folder: Path, sha256: str) -> Path:
    return folder / sha256[:2] / sha256


async def fetch_pending(database: Database, folder: Path, http: httpx.AsyncClient) -> int:
    """Fetch what is not yet here; returns how many files arrived."""
    async with database.session() as session:
        pending = list(
            await session.scalars(
                select(PublicAttachment)
                .where(
                    PublicAttachment.fetched_at.is_(None),
                    PublicAttachment.fetch_attempts < MAX_ATTEMPTS,
                )
                .order_by(PublicAttachment.id)
                .limit(20)
            )
        )
    arrived = 0
    for attachment in pending:
        error = None
        path = stored_path(folder, attachment.sha256)
        if not await asyncio.to_thread(path.exists):
            try:
                error = await _download(http, attachment, path)
            except httpx.HTTPError as failure:
                error = f"{type(failure).__name__}: {failure}"[:500]
        async with database.transaction() as session:
            row = await session.get(PublicAttachment, attachment.id)
            if row is None:
                continue
            if error is None:
                row.fetched_at = datetime.now(UTC)
                row.fetch_error = None
                arrived += 1
                await read_model_changed(session)  # its page now links to the file
            else:
                # A copy refused for what it is would be refused again: no more attempts.
                refused = error.startswith(REFUSED)
                row.fetch_attempts = MAX_ATTEMPTS if refused else row.fetch_attempts + 1
                row.fetch_error = error
                log.warning("website.file_not_fetched", url=row.source_url, error=error)
    return arrived


async def _download(
    http: httpx.AsyncClient, attachment: PublicAttachment, path: Path
) -> str | None:
    """Download to a temporary name, check size and hash, then move into place."""
    partial = path.with_name(f".{path.name}.partial")
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    async with http.stream("GET", attachment.source_url) as response:
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        with partial.open("wb") as output:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > attachment.size:
                    break
                digest.update(chunk)
                output.write(chunk)
            output.flush()
            os.fsync(output.fileno())
    if size != attachment.size or digest.hexdigest() != attachment.sha256:
        await asyncio.to_thread(partial.unlink, missing_ok=True)
        return "the file does not match the size and SHA-256 the event announced"
    refusal = await asyncio.to_thread(_refusal, partial, attachment.media_type)
    if refusal:
        await asyncio.to_thread(partial.unlink, missing_ok=True)
        return f"{REFUSED}{refusal}"
    await asyncio.to_thread(partial.rename, path)
    return None


def _refusal(path: Path, media_type: str) -> str | None:
    return uploads.refusal_of_copy(path.read_bytes(), media_type)


def served(path: Path, attachment: PublicAttachment) -> FileResponse:
    """The checked copy, as the kernel serves every file, cached for a day."""
    headers = uploads.served_headers(attachment.media_type, attachment.filename)
    return FileResponse(
        path,
        media_type=headers["Content-Type"],
        headers=headers
        | {"X-Content-SHA256": attachment.sha256, "Cache-Control": "public, max-age=86400"},
    )


async def keep_fetching(database: Database, folder: Path, every: float) -> None:
    async with httpx.AsyncClient(timeout=60, follow_redirects=True) as http:
        while True:
            try:
                while await fetch_pending(database, folder, http):
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("website.fetch_failed", error=str(error))
            await asyncio.sleep(every)
