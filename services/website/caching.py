"""HTTP caching for every page the website answers, and its Content-Security-Policy.

Pages are small and rendered from the read model, so the ETag is the hash of the body:
a browser or cache that has the page gets 304 Not Modified. The Content-Security-Policy
allows no script at all and styles only from the site itself; the kernel's app sends it
with the other security headers on every response (`meria.web.MeriaApp`).
"""

from __future__ import annotations

import hashlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {"referrer-policy": "strict-origin-when-cross-origin"}
CACHEABLE = (b"text/html", b"application/atom+xml", b"text/calendar", b"application/xml",
             b"application/json", b"application/x-pem-file", b"text/css",
             b"application/akn+xml", b"application/ld+json")  # fmt: skip


class CachingMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()
        streamed = False

        async def capture(message: Message) -> None:
            nonlocal start, streamed
            if streamed:
                await send(message)
                return
            if message["type"] == "http.response.start":
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                if not content_type.startswith(CACHEABLE):
                    # Files and the like stream through with headers of their own.
                    streamed = True
                    await send(message)
                    return
                start = message
                return
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            assert start is not None
            await _finish(scope, start, bytes(body), send)

        headers = dict(scope.get("headers") or [])
        if headers.get(b"range"):
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, capture)


async def _finish(scope: Scope, start: Message, body: bytes, send: Send) -> None:
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
    status = start["status"]
    known = {k.lower() for k, _ in headers}
    if status == 200 and content_type.startswith(CACHEABLE) and b"etag" not in known:
        etag = b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"'
        headers.append((b"etag", etag))
        headers.append((b"cache-control", b"public, max-age=60"))
        request_headers = dict(scope.get("headers") or [])
        if etag in request_headers.get(b"if-none-match", b"").split(b", "):
            not_modified = [(k, v) for k, v in headers if k.lower() != b"content-type"]
            await send({"type": "http.response.start", "status": 304, "headers": not_modified})
            await send({"type": "http.response.body", "body": b""})
            return
    headers.append((b"content-length", str(len(body)).encode()))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body if scope["method"] == "GET" else b""})


class HeadLikeGet:
    """A HEAD is answered as its GET would be, without the body (RFC 9110 9.3.2): the
    routes are written for GET, and a page nobody has fetched yet is no exception."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
