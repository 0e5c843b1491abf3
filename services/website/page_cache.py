"""The website's pages kept as rendered, until the read model changes.

A page depends on nothing but its path and query (the language is part of the path)
and the read model, which changes only when an event is applied or a file arrives. So
each response to a GET is rendered once per version of the read model (`services.
website.freshness`) and kept in memory, status, headers and body, the least recently
used going first past a size limit. Pages that show the time of day (the upcoming
events on the home page, this month's calendar) are rendered again after
`page_cache_seconds` at most. What is kept: pages, feeds and open data that answered
200, 404 or 410; never files, a 400 (it echoes whatever was asked) or the process's own
health and metrics.

The kept pages are answered in front of everything else the app does per request (the
OpenTelemetry span, the request log line): those cost several times what a static
answer costs, and a page from memory has nothing in it to trace. Such answers still
count in the request metrics under their route and carry a request id, their ETag and
the security headers, and a conditional request is answered 304.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meria.metrics import HTTP_LATENCY, HTTP_REQUESTS
from meria.web import REQUEST_ID_HEADER
from services.website.caching import CACHEABLE
from services.website.freshness import Freshness

KEPT_STATUSES = (200, 404, 410)
NEVER_KEPT = ("/healthz", "/metrics")
ENTRY_OVERHEAD = 200  # bytes a kept page costs beyond its body and headers, roughly
REQUEST_ID = REQUEST_ID_HEADER.encode()

Key = tuple[str, bytes]
Version = tuple[int, int]


@dataclass(frozen=True)
class Kept:
    """A response as it left the app (without its length and request id), the read
    model's version it was rendered at, until when it may be served, and its route."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes | None
    version: Version
    until: float
    route: str

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + ENTRY_OVERHEAD


class PageCache:
    """Rendered pages by path and query, for the current version of the read model."""

    def __init__(
        self,
        freshness: Freshness,
        max_bytes: int,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.freshness = freshness
        self.max_bytes = max_bytes
        self.seconds = seconds
        self.clock = clock
        self._pages: OrderedDict[Key, Kept] = OrderedDict()
        self._bytes = 0
        self._version: Version | None = None

    def __len__(self) -> int:
        return len(self._pages)

    async def version(self) -> Version:
        """The read model's version now; pages of any other version are dropped."""
        version = await self.freshness.version()
        if version != self._version:
            self._version = version
            self._pages.clear()
            self._bytes = 0
        return version

    def get(self, key: Key, version: Version) -> Kept | None:
        kept = self._pages.get(key)
        if kept is None:
            return None
        if kept.version != version or kept.until <= self.clock():
            self._forget(key)
            return None
        self._pages.move_to_end(key)
        return kept

    def put(
        self,
        key: Key,
        version: Version,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        route: str,
    ) -> None:
        """Keep a page rendered at `version`, unless the read model has moved on since."""
        etag = next((value for name, value in headers if name == b"etag"), None)
        until = self.clock() + self.seconds
        kept = Kept(status, headers, body, etag if status == 200 else None, version, until, route)
        if version != self._version or kept.size > self.max_bytes // 8:
            return
        self._forget(key)
        self._pages[key] = kept
        self._bytes += kept.size
        while self._bytes > self.max_bytes:
            self._forget(next(iter(self._pages)))

    def _forget(self, key: Key) -> None:
        kept = self._pages.pop(key, None)
        if kept is not None:
            self._bytes -= kept.size


class PageCacheMiddleware:
    """Answers a kept page at once; otherwise lets the app render it and keeps it."""

    def __init__(self, app: ASGIApp, pages: PageCache, service: str) -> None:
        self.app = app
        self.pages = pages
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or scope["path"].startswith(NEVER_KEPT)
            or any(name == b"range" for name, _ in scope["headers"])
        ):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        key = (scope["path"], scope["query_string"])
        version = await self.pages.version()
        kept = self.pages.get(key, version)
        if kept is not None:
            status = await _answer(scope, kept, send)
            method = scope["method"]
            HTTP_REQUESTS.labels(self.service, method, kept.route, str(status)).inc()
            HTTP_LATENCY.labels(self.service, method, kept.route).observe(
                time.perf_counter() - started
            )
            return
        if scope["method"] != "GET":  # a HEAD is answered without the body to keep
            await self.app(scope, receive, send)
            return

        start: Message | None = None
        body = bytearray()

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message if _keepable(message) else None
            elif message["type"] == "http.response.body" and start is not None:
                body.extend(message.get("body", b""))
                if not message.get("more_body"):
                    headers = [
                        (name, value)
                        for name, value in start.get("headers", [])
                        if name not in (b"content-length", REQUEST_ID)
                    ]
                    route = getattr(scope.get("route"), "path", None) or "unmatched"
                    self.pages.put(key, version, start["status"], headers, bytes(body), route)
            await send(message)

        await self.app(scope, receive, keep)


def _keepable(start: Message) -> bool:
    if start["status"] not in KEPT_STATUSES:
        return False
    content_type = b""
    for name, value in start.get("headers", []):
        if name == b"set-cookie" or (
            name == b"cache-control" and (b"no-store" in value or b"private" in value)
        ):
            return False
        if name == b"content-type":
            content_type = value
    return content_type.startswith(CACHEABLE)


async def _answer(scope: Scope, kept: Kept, send: Send) -> int:
    given = b""
    conditional = b""
    for name, value in scope["headers"]:
        if name == REQUEST_ID:
            given = value
        elif name == b"if-none-match":
            conditional = value
    request_id = given if 0 < len(given) <= 200 else uuid.uuid4().hex.encode()
    if kept.etag is not None and kept.etag in conditional.split(b", "):
        headers = [(name, value) for name, value in kept.headers if name != b"content-type"]
        headers.append((REQUEST_ID, request_id))
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return 304
    headers = [
        *kept.headers,
        (b"content-length", str(len(kept.body)).encode()),
        (REQUEST_ID, request_id),
    ]
    await send({"type": "http.response.start", "status": kept.status, "headers": headers})
    await send(
        {"type": "http.response.body", "body": kept.body if scope["method"] == "GET" else b""}
    )
    return kept.status


def keep_pages(app: Starlette, pages: PageCache, service: str) -> None:
    """Put the page cache in front of the middleware stack the app builds (tracing
    included), by the same hook OpenTelemetry's FastAPI instrumentation wraps it with."""
    build = app.build_middleware_stack

    def build_with_pages() -> ASGIApp:
        return PageCacheMiddleware(build(), pages, service)

    app.build_middleware_stack = build_with_pages  # type: ignore[method-assign]
