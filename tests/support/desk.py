"""A desk per person, for every service: one person's HTTP session with one service, as
cosmicpython's `tests/e2e/api_client.py` is the tests' one way to call the API. Each
service's desk adds the calls its stories make (`tests/support/publishing.py`,
`events.py`, `visits.py`, `media.py`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, ClassVar

import httpx

from tests.support.stack import Stack


class ServiceDesk:
    """One person's HTTP session with the service the subclass names."""

    service: ClassVar[str]

    def __init__(
        self,
        stack: Stack,
        http: httpx.AsyncClient,
        user: str,
        *roles: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.stack = stack
        self.http = http
        self.user = user
        # No roles and no headers: someone without a token (the public, a journalist).
        self.headers = headers or (stack.headers(*roles, user=user) if roles else {})
        self.base = stack.urls[self.service]

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, f"{self.base}{path}", headers=self.headers, **kwargs)

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """The answer of a call that must succeed: its JSON, its bytes, or None."""
        response = await self.call(method, path, **kwargs)
        assert response.status_code < 300, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        if not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content

    async def refused(self, status: int, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """The problem document of a call that must be refused with `status`."""
        response = await self.call(method, path, **kwargs)
        assert response.status_code == status, (
            f"{method} {path}: expected {status}, got {response.status_code} {response.text}"
        )
        assert response.headers["content-type"].startswith("application/problem+json")
        found: dict[str, Any] = response.json()
        return found

    async def poll(
        self,
        path: str,
        check: Callable[[Any], Any],
        what: str,
        timeout: float = 30,
        *,
        name: str | None = None,
    ) -> Any:
        """GET `path` until `check` holds of its answer; an assertion naming `name` (the
        path unless given) and the last answer when `timeout` passes first."""
        found: Any = None
        try:
            async with asyncio.timeout(timeout):
                while True:
                    response = await self.call("GET", path)
                    if response.status_code == 200:
                        found = response.json()
                        if check(found):
                            return found
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise AssertionError(
                f"{name or path} never {what}: {json.dumps(found)[:1500]}"
            ) from None
