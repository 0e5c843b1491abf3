"""Attachments: what a file may be, and where it is kept.

The kernel's upload pipeline (`meria.uploads`) decides what a file is from its content,
refuses what the settings do not accept or what is too large, and cleans pictures of
their location, before anything is written. What passes is written under a generated
name, to a temporary name first, then moved into place, so a crash leaves no half file
under a name the table could point to.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import UploadFile

from meria import uploads
from services.publishing.settings import PublishingSettings

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    filename: str
    stored_name: str
    media_type: str
    size: int
    sha256: str


def policy(settings: PublishingSettings) -> uploads.Policy:
    return uploads.Policy.of(
        "An attachment",
        settings.attachment_types,
        settings.max_attachment_bytes,
        settings.upload_limits(),
    )


async def store(upload: UploadFile, folder: Path, settings: PublishingSettings) -> StoredFile:
    """Check an upload and write it under a generated name, or refuse it and keep nothing."""
    checked = await uploads.check(upload.file, upload.filename, policy(settings))
    try:
        await asyncio.to_thread(_write, checked, folder)
    finally:
        checked.close()
    return StoredFile(
        checked.filename, checked.stored_name, checked.media_type, checked.size, checked.sha256
    )


def _write(checked: uploads.Checked, folder: Path) -> None:
    checked.content.seek(0)
    _write_stream(checked.content, folder, checked.stored_name)


def _write_stream(content: Any, folder: Path, stored_name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / stored_name
    partial = folder / f".{stored_name}.partial"
    try:
        with partial.open("wb") as output:
            while chunk := content.read(CHUNK):
                output.write(chunk)
            output.flush()
            os.fsync(output.fileno())
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)


def write_made(data: bytes, folder: Path, filename: str, media_type: str) -> StoredFile:
    """Keep a file the service made itself (a signed act), as an upload is kept: under a
    generated name, whole or not at all. Blocking: call it in a thread."""
    stored_name = f"{uuid.uuid4().hex}.{filename.rsplit('.', 1)[-1]}"
    _write_stream(io.BytesIO(data), folder, stored_name)
    return StoredFile(
        filename, stored_name, media_type, len(data), hashlib.sha256(data).hexdigest()
    )


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
