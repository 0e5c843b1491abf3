"""Files made from data (a badge's PDF, a year's tourism summary): made off the event loop,
and kept while they are asked for again.

The same inputs make the same bytes, so a file is named by the hash of what it is made
of: that hash is its ETag, a browser that holds it gets 304, and the last `size` files are
kept in memory (a badge is about 30 kB), so the door's second look at a badge, or a
proposal's fifth download of a summary, costs a hash and not a PDF. Nothing is kept that
its inputs do not name: a change of any input is another file.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response


def fingerprint(inputs: Any) -> str:
    """A stable hash of the inputs (JSON, keys sorted, dates and decimals as text)."""
    text = json.dumps(inputs, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class MadeFiles:
    """The last `size` files made by `make`, by the fingerprint of their inputs."""

    def __init__(self, make: Callable[..., bytes], size: int = 64) -> None:
        self.make = make
        self.size = size
        self._kept: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.made = 0  # how many were made (not found kept), for tests and metrics

    async def get(self, inputs: Any, *arguments: Any) -> tuple[bytes, str]:
        """The file and its ETag; `inputs` must name everything `make(*arguments)` reads."""
        key = fingerprint(inputs)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                return kept, key
        data = await asyncio.to_thread(self.make, *arguments)
        with self._lock:
            self.made += 1
            self._kept[key] = data
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return data, key

    async def response(
        self,
        request: Request,
        inputs: Any,
        *arguments: Any,
        media_type: str,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """The file as a response, or 304 when the browser holds this very file."""
        etag = f'"{fingerprint(inputs)}"'
        # Private: a badge or a summary is for the staff who asked, never a shared cache.
        sent = {"ETag": etag, "Cache-Control": "private, no-cache", **(headers or {})}
        if etag in _tags(request.headers.get("if-none-match", "")):
            return Response(status_code=304, headers=sent)
        data, _ = await self.get(inputs, *arguments)
        return Response(data, media_type=media_type, headers=sent)


def _tags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",") if part.strip()}
