"""The SQL statements each request runs, counted on a service's own engine.

A test proves that a list costs the same statements whatever the size of its tables
(pagination and eager loads, not a query per row): it sends each request with an
`X-Request-Id` of its own, and reads what that request ran. The id is the one the app's
request middleware binds for the logs (`meria.web`); the statements of background jobs,
which run outside any request, are kept apart under `None`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine

from meria.web import REQUEST_ID_HEADER


class Statements:
    """What an engine ran, by request id."""

    def __init__(self) -> None:
        self.by_request: dict[str | None, list[str]] = defaultdict(list)

    def record(self, _connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        self.by_request[request_id].append(" ".join(statement.split()))

    def of(self, request_id: str) -> list[str]:
        return list(self.by_request.get(request_id, ()))


@contextmanager
def counting_statements(engine: AsyncEngine | Engine) -> Iterator[Statements]:
    """Record every statement `engine` sends while the block runs."""
    sync = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    statements = Statements()
    event.listen(sync, "before_cursor_execute", statements.record)
    try:
        yield statements
    finally:
        event.remove(sync, "before_cursor_execute", statements.record)


def tagged() -> tuple[str, dict[str, str]]:
    """A fresh request id, and the header that makes the app use it."""
    request_id = f"counted-{uuid.uuid4().hex}"
    return request_id, {REQUEST_ID_HEADER: request_id}
