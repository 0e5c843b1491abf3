"""Where the media library keeps its files: a folder on local disk by default, or an
S3-compatible bucket by settings, both through fsspec (s3fs for S3).

Files are stored under generated names and never change once written; the library's
table says what each one is. fsspec's calls block, so they run in a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import IO, Any

import fsspec

from services.media.settings import MediaSettings

CHUNK = 1024 * 1024


class Storage:
    def __init__(self, settings: MediaSettings) -> None:
        url = settings.library_url or ""
        self.remote = url.startswith("s3://")
        if self.remote:
            import s3fs

            options: dict[str, Any] = {}
            if settings.s3_endpoint_url:
                options["endpoint_url"] = settings.s3_endpoint_url
            if settings.s3_region:
                options["region_name"] = settings.s3_region
            self.fs: fsspec.AbstractFileSystem = s3fs.S3FileSystem(
                key=settings.s3_access_key,
                secret=settings.s3_secret_key.get_secret_value()
                if settings.s3_secret_key
                else None,
                client_kwargs=options,
                # Each call asks S3 afresh: another process may have written since.
                use_listings_cache=False,
                skip_instance_cache=True,
            )
            self.root = url.removeprefix("s3://").rstrip("/")
        else:
            self.fs = fsspec.filesystem("file", auto_mkdir=True)
            self.root = url.removeprefix("file://").rstrip("/")

    def path(self, name: str) -> str:
        return f"{self.root}/{name}"

    def _write(self, name: str, source: IO[bytes]) -> None:
        source.seek(0)
        with self.fs.open(self.path(name), "wb") as target:
            while chunk := source.read(CHUNK):
                target.write(chunk)

    async def write(self, name: str, source: IO[bytes]) -> None:
        await asyncio.to_thread(self._write, name, source)

    async def write_bytes(self, name: str, data: bytes) -> None:
        await asyncio.to_thread(self.fs.pipe_file, self.path(name), data)

    async def exists(self, name: str) -> bool:
        return bool(await asyncio.to_thread(self.fs.exists, self.path(name)))

    async def delete(self, name: str) -> None:
        if await self.exists(name):
            await asyncio.to_thread(self.fs.rm_file, self.path(name))

    async def read(self, name: str) -> AsyncIterator[bytes]:
        """The file's bytes, a chunk at a time (videos are large)."""
        handle = await asyncio.to_thread(self.fs.open, self.path(name), "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                yield chunk
        finally:
            await asyncio.to_thread(handle.close)
