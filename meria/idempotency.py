"""Idempotency keys: a creating request sent twice is applied once.

A client sends `Idempotency-Key` with a POST: the portal one per form submission (kept in
the form, so a resubmitted form sends it again), the worker one per call of an activity
(the same across the activity's retries). The first request with a key claims it for
its caller (the subject of its bearer token) before the route runs; when the route
answers 2xx, the answer is kept and the same key from the same caller gets it again,
byte for byte, without running the route: one row, one event, one document. A refusal or
an error releases the key, so a corrected form may send it again.

The same key on another endpoint, or with another body, is refused with 422. A key whose
first request is still being handled answers 409 with `Retry-After`; its claim lapses
after a lease, so a process that died mid-request leaves no key blocked for good.

What a crash does: the claim and the kept answer are two commits around the route's own.
A process that dies after the route committed and before the answer was kept leaves a
claim that lapses after the lease, and a request after that runs the route again. The
workflows' own endpoints also check their history rows inside the route's transaction,
so for them even that window applies nothing twice.

Every service keeps the keys in its own database (`idempotency_keys`, defined here like
the bus tables) for a day.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Header
from sqlalchemy import (
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meria.auth import InvalidToken, verify_token
from meria.db import Database, UTCDateTime
from meria.logging import get_logger
from meria.problems import PROBLEM_JSON

log = get_logger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY = 300
# Longer than any request should take: a key still claimed after it is taken over.
LEASE = timedelta(minutes=5)
KEEP = timedelta(hours=24)
METHODS = frozenset({"POST"})


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=300)]
"""The key a creating call carries so that the same call twice does it once."""


def define_idempotency_table(metadata: MetaData) -> Table:
    """Add `idempotency_keys` to a service's metadata (and so to its migrations)."""
    table = Table(
        "idempotency_keys",
        metadata,
        Column("caller", String(200), nullable=False),
        Column("key", String(MAX_KEY), nullable=False),
        Column("method", String(10), nullable=False),
        Column("path", String(1000), nullable=False),
        # The SHA-256 of the first request's body, kept with its answer.
        Column("fingerprint", String(64), nullable=True),
        # None while the first request is being handled.
        Column("status", Integer, nullable=True),
        Column("content_type", String(200), nullable=True),
        Column("body", LargeBinary, nullable=True),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("lease_until", UTCDateTime(), nullable=False),
        PrimaryKeyConstraint("caller", "key"),
    )
    Index("ix_idempotency_keys_created_at", table.c.created_at)
    return table


@dataclass(frozen=True)
class Kept:
    """The answer a key's first request got."""

    status: int
    content_type: str
    body: bytes
    fingerprint: str


Claim = Literal["claimed", "in_progress", "other_request"] | Kept


class IdempotencyKeys:
    """One service's keys: claim, keep the answer, release."""

    def __init__(self, database: Database, table: Table) -> None:
        self.database = database
        self.table = table

    async def claim(self, caller: str, key: str, method: str, path: str) -> Claim:
        try:
            return await self._claim(caller, key, method, path)
        except IntegrityError:
            # Another request inserted the same key at the same moment (PostgreSQL).
            return await self._claim(caller, key, method, path)

    async def _claim(self, caller: str, key: str, method: str, path: str) -> Claim:
        table = self.table
        now = datetime.now(UTC)
        async with self.database.transaction() as session:
            found = (
                await session.execute(
                    select(table).where(table.c.caller == caller, table.c.key == key)
                )
            ).first()
            if found is None:
                if random.random() < 0.02:  # now and then, forget the keys of yesterday
                    await session.execute(delete(table).where(table.c.created_at < now - KEEP))
                await session.execute(
                    insert(table).values(
                        caller=caller,
                        key=key,
                        method=method,
                        path=path,
                        created_at=now,
                        lease_until=now + LEASE,
                    )
                )
                return "claimed"
            if found.method != method or found.path != path:
                return "other_request"
            if found.status is not None:
                return Kept(
                    found.status,
                    found.content_type or "",
                    found.body or b"",
                    found.fingerprint or "",
                )
            if found.lease_until > now:
                return "in_progress"
            # The first request's process is gone: this one takes the key over.
            await session.execute(
                update(table)
                .where(table.c.caller == caller, table.c.key == key)
                .values(lease_until=now + LEASE)
            )
            return "claimed"

    async def keep(self, caller: str, key: str, answer: Kept) -> None:
        table = self.table
        async with self.database.transaction() as session:
            await session.execute(
                update(table)
                .where(table.c.caller == caller, table.c.key == key)
                .values(
                    status=answer.status,
                    content_type=answer.content_type[:200],
                    body=answer.body,
                    fingerprint=answer.fingerprint,
                )
            )

    async def release(self, caller: str, key: str) -> None:
        table = self.table
        async with self.database.transaction() as session:
            await session.execute(
                delete(table).where(
                    table.c.caller == caller, table.c.key == key, table.c.status.is_(None)
                )
            )


class IdempotencyMiddleware:
    """Honours `Idempotency-Key` on the POSTs of a service (see the module's docstring).

    A request without the header, or without a valid bearer token (the route refuses it
    itself), passes through untouched.
    """

    def __init__(self, app: ASGIApp, table: Table) -> None:
        self.app = app
        self.table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in METHODS:
            await self.app(scope, receive, send)
            return
        headers = {name.lower(): value for name, value in scope.get("headers") or []}
        key = headers.get(HEADER.lower().encode(), b"").decode("latin-1").strip()
        caller = self._caller(scope, headers)
        if not key or caller is None:
            await self.app(scope, receive, send)
            return
        if len(key) > MAX_KEY:
            await _problem(
                send,
                422,
                "The Idempotency-Key is too long",
                f"An Idempotency-Key has at most {MAX_KEY} characters.",
            )
            return
        keys = IdempotencyKeys(scope["app"].state.runtime.db(), self.table)
        path = scope["path"] + (
            "?" + scope["query_string"].decode() if scope.get("query_string") else ""
        )
        claim = await keys.claim(caller, key, scope["method"], path[:1000])
        if claim == "in_progress":
            await _problem(
                send,
                409,
                "The first request with this Idempotency-Key is still being handled",
                "Ask again in a moment: its answer will be given then.",
                headers=[(b"retry-after", b"1")],
                code="idempotency_in_progress",
            )
            return
        if claim == "other_request":
            await _problem(
                send,
                422,
                "This Idempotency-Key belongs to another request",
                "It was used with another endpoint; send a new key.",
                code="idempotency_key_reused",
            )
            return
        if isinstance(claim, Kept):
            await self._replay(claim, receive, send)
            return
        await self._first(scope, receive, send, keys, caller, key)

    def _caller(self, scope: Scope, headers: dict[bytes, bytes]) -> str | None:
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            return verify_token(scope["app"].state.settings, token.strip()).id
        except InvalidToken:
            return None

    async def _replay(self, kept: Kept, receive: Receive, send: Send) -> None:
        fingerprint = hashlib.sha256()
        while True:
            message = await receive()
            fingerprint.update(message.get("body", b""))
            if not message.get("more_body", False):
                break
        if fingerprint.hexdigest() != kept.fingerprint:
            await _problem(
                send,
                422,
                "This Idempotency-Key belongs to another request",
                "It was used with another body; send a new key.",
                code="idempotency_key_reused",
            )
            return
        headers = [
            (b"content-type", kept.content_type.encode("latin-1")),
            (b"content-length", str(len(kept.body)).encode()),
            (REPLAYED_HEADER.lower().encode(), b"true"),
        ]
        await send({"type": "http.response.start", "status": kept.status, "headers": headers})
        await send({"type": "http.response.body", "body": kept.body})

    async def _first(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        keys: IdempotencyKeys,
        caller: str,
        key: str,
    ) -> None:
        """Run the route, hashing the body as it reads it; keep a 2xx answer before it
        leaves, so a retry that follows at once finds it."""
        fingerprint = hashlib.sha256()
        body_read = False

        async def hashing_receive() -> Message:
            nonlocal body_read
            message = await receive()
            if message["type"] == "http.request":
                fingerprint.update(message.get("body", b""))
                body_read = not message.get("more_body", False)
            return message

        held: list[Message] = []

        async def holding_send(message: Message) -> None:
            held.append(message)

        try:
            await self.app(scope, hashing_receive, holding_send)
        except BaseException:
            await keys.release(caller, key)
            raise
        start = next((m for m in held if m["type"] == "http.response.start"), None)
        status = int(start["status"]) if start else 500
        if 200 <= status < 300 and start is not None:
            while not body_read:
                if (await hashing_receive())["type"] == "http.disconnect":
                    break
            response_headers = {n.lower(): v for n, v in start.get("headers") or []}
            answer = Kept(
                status=status,
                content_type=response_headers.get(b"content-type", b"").decode("latin-1"),
                body=b"".join(
                    m.get("body", b"") for m in held if m["type"] == "http.response.body"
                ),
                fingerprint=fingerprint.hexdigest(),
            )
            try:
                await keys.keep(caller, key, answer)
            except Exception as error:  # the answer still goes out; the key lapses
                log.error("idempotency.keep_failed", key=key, error=str(error)[:200])
        else:
            await keys.release(caller, key)
        for message in held:
            await send(message)


async def _problem(
    send: Send,
    status: int,
    title: str,
    detail: str,
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    **extensions: Any,
) -> None:
    body = json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail, **extensions},
        ensure_ascii=False,
    ).encode()
    start_headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        *(headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": start_headers})
    await send({"type": "http.response.body", "body": body})
