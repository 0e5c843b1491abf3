"""Attachments: what a file is by its content, how big it may be, where it is kept.

The name a person gave a file is kept for display only; the file is stored under a
generated name, its type is read from its first bytes, and its SHA-256 is computed while
it is written, so a file that is too big or not of an accepted type is refused without
anything being kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import filetype
from fastapi import UploadFile

from meria.problems import Problem

ACCEPTED = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.oasis.opendocument.text": "odt",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
}
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    media_type: str
    size: int
    sha256: str


def detect(head: bytes) -> str | None:
    kind = filetype.guess(head)
    return kind.mime if kind is not None else None


async def store(upload: UploadFile, folder: Path, limit: int) -> StoredFile:
    """Write an upload under a generated name, or refuse it and keep nothing."""
    # The upload is already spooled by the server; copying it is blocking file work.
    return await asyncio.to_thread(_store, upload.file, upload.filename, folder, limit)


def _store(source: BinaryIO, filename: str | None, folder: Path, limit: int) -> StoredFile:
    folder.mkdir(parents=True, exist_ok=True)
    head = source.read(8192)
    media_type = detect(head)
    if media_type not in ACCEPTED:
        raise Problem(
            415,
            "File type not accepted",
            f"{filename or 'The file'} is not a PDF, DOCX, ODT or image "
            f"(its content says {media_type or 'unknown'}).",
        )
    stored_name = f"{uuid.uuid4().hex}.{ACCEPTED[media_type]}"
    target = folder / stored_name
    partial = folder / f".{stored_name}.partial"
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("wb") as output:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > limit:
                    raise Problem(
                        413,
                        "File too large",
                        f"Attachments may be at most {limit // (1024 * 1024)} MB.",
                    )
                digest.update(chunk)
                output.write(chunk)
                chunk = source.read(CHUNK)
            output.flush()
            os.fsync(output.fileno())
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    return StoredFile(stored_name, media_type, size, digest.hexdigest())


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
