"""A person at the staff portal over real HTTP: their own cookies, the forms' CSRF token."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import httpx

from services.portal.settings import DEMO_PASSWORD
from tests.support.stack import Stack

CSRF_FIELD = re.compile(r'name="csrftoken" value="([^"]+)"')

STAFF = {
    "editor": ("nino.beridze", "ნინო ბერიძე", ["editor"]),
    "lawyer": ("levan.kapanadze", "ლევან კაპანაძე", ["legal_reviewer"]),
    "head": ("tamar.gelashvili", "თამარ გელაშვილი", ["head_of_department"]),
    "mayor": ("mayor.akhmeta", "ახმეტის მერი", ["mayor"]),
    "admin": ("portal.admin", "ადმინისტრატორი", ["admin"]),
    "protocol": ("mariam.chokheli", "მარიამ ჩოხელი", ["protocol_officer"]),
}


async def add_account(
    stack: Stack, http: httpx.AsyncClient, username: str, name: str, roles: list[str]
) -> None:
    """One staff account with the demo password, through the accounts API."""
    response = await http.put(
        f"{stack.urls['portal']}/api/accounts/{username}",
        headers=stack.headers("admin", user="setup"),
        json={"display_name": name, "roles": roles, "password": DEMO_PASSWORD,
              "email": f"{username}@akhmeta.gov.ge"},
    )  # fmt: skip
    assert response.status_code == 200, response.text


async def create_staff(stack: Stack, http: httpx.AsyncClient) -> None:
    """The accounts every portal test signs in with."""
    for username, name, roles in STAFF.values():
        await add_account(stack, http, username, name, roles)


class Person:
    """One browser's worth of cookies at the portal."""

    def __init__(self, stack: Stack, username: str) -> None:
        self.stack = stack
        self.username = username
        self.base = stack.urls["portal"]
        self.http = httpx.AsyncClient(base_url=self.base, timeout=30, follow_redirects=False)
        self.csrf = ""

    async def close(self) -> None:
        await self.http.aclose()

    def remember_csrf(self, page: httpx.Response) -> None:
        found = CSRF_FIELD.search(page.text)
        if found:
            self.csrf = found.group(1)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        page = await self.http.get(path, **kwargs)
        self.remember_csrf(page)
        return page

    async def post(
        self, path: str, data: dict[str, Any] | None = None,
        files: Any = None, csrf: bool = True,
    ) -> httpx.Response:  # fmt: skip
        if not self.csrf and csrf:
            await self.get("/sign-in")
        # The token first: the CSRF check reads it before any file. A list is a field
        # sent once per value (checkboxes of one name).
        fields: dict[str, list[str]] = {"csrftoken": [self.csrf]} if csrf else {}
        for key, value in (data or {}).items():
            fields[key] = [str(item) for item in value] if isinstance(value, list) else [str(value)]
        page = await self.http.post(path, data=fields, files=files)
        self.remember_csrf(page)
        return page

    async def sign_in(self, password: str = DEMO_PASSWORD) -> httpx.Response:
        await self.get("/sign-in")
        return await self.post(
            "/sign-in", {"username": self.username, "password": password, "next": "/inbox"}
        )

    async def until(
        self, path: str, done: Callable[[httpx.Response], bool], seconds: float = 30
    ) -> httpx.Response:
        for _ in range(int(seconds / 0.1)):
            page = await self.get(path)
            if done(page):
                return page
            await asyncio.sleep(0.1)
        return page
