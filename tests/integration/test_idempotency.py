"""Idempotency keys on a small app with the kernel's middleware and a real database: the
same key twice is one creation and the first answer again; another body or endpoint is
refused; a refusal releases the key; a key still being handled answers 409."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from meria.auth import User, issue_token
from meria.config import Settings
from meria.db import Database, new_metadata
from meria.idempotency import IdempotencyMiddleware, define_idempotency_table
from meria.problems import Problem, install_problem_handlers

metadata = new_metadata()
table = define_idempotency_table(metadata)


class Desk:
    """What the app created, and a gate to hold a request mid-way."""

    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []
        self.gate = asyncio.Event()
        self.gate.set()


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[tuple[FastAPI, Desk]]:
    database = Database(database_url)
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    desk = Desk()
    app = FastAPI()
    install_problem_handlers(app)
    app.state.settings = Settings()
    app.state.runtime = SimpleNamespace(db=lambda: database)

    @app.post("/events", status_code=201)
    async def create(request: Request) -> dict[str, Any]:
        body = await request.json()
        if not body.get("title_ka"):
            raise Problem(422, "The request is not valid", "title_ka: required")
        await desk.gate.wait()
        desk.created.append(body)
        return {"id": len(desk.created), **body}

    @app.post("/venues", status_code=201)
    async def venue() -> dict[str, int]:
        return {"id": 1}

    app.add_middleware(IdempotencyMiddleware, table=table)
    yield app, desk
    await database.dispose()


def headers(user: str, key: str) -> dict[str, str]:
    token = issue_token(Settings(), User(id=user, roles=frozenset({"protocol_officer"})))
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": key}


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://events")


async def test_the_same_key_twice_creates_once_and_answers_the_same(
    app: tuple[FastAPI, Desk],
) -> None:
    service, desk = app
    body = {"title_ka": "პრესკონფერენცია ახმეტაში"}
    async with client(service) as http:
        first = await http.post("/events", json=body, headers=headers("nino", "form-1"))
        again = await http.post("/events", json=body, headers=headers("nino", "form-1"))
        # Another person's key of the same spelling is theirs alone.
        other = await http.post("/events", json=body, headers=headers("giorgi", "form-1"))
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    assert other.json()["id"] == 2
    assert len(desk.created) == 2


async def test_a_key_reused_for_another_body_or_endpoint_is_refused(
    app: tuple[FastAPI, Desk],
) -> None:
    service, desk = app
    async with client(service) as http:
        await http.post("/events", json={"title_ka": "ა"}, headers=headers("nino", "k"))
        changed = await http.post("/events", json={"title_ka": "ბ"}, headers=headers("nino", "k"))
        elsewhere = await http.post("/venues", headers=headers("nino", "k"))
    assert changed.status_code == elsewhere.status_code == 422
    assert changed.json()["code"] == "idempotency_key_reused"
    assert len(desk.created) == 1


async def test_a_refusal_releases_the_key_for_the_corrected_form(
    app: tuple[FastAPI, Desk],
) -> None:
    service, desk = app
    async with client(service) as http:
        refused = await http.post("/events", json={"title_ka": ""}, headers=headers("nino", "f"))
        fixed = await http.post("/events", json={"title_ka": "ა"}, headers=headers("nino", "f"))
    assert refused.status_code == 422 and fixed.status_code == 201
    assert len(desk.created) == 1


async def test_a_key_still_being_handled_asks_to_come_back(app: tuple[FastAPI, Desk]) -> None:
    service, desk = app
    desk.gate.clear()
    body = {"title_ka": "ა"}
    async with client(service) as http:
        first = asyncio.create_task(http.post("/events", json=body, headers=headers("n", "s")))
        await asyncio.sleep(0.3)
        waiting = await http.post("/events", json=body, headers=headers("n", "s"))
        desk.gate.set()
        answered = await first
        later = await http.post("/events", json=body, headers=headers("n", "s"))
    assert waiting.status_code == 409 and waiting.headers["retry-after"] == "1"
    assert answered.status_code == 201 and later.content == answered.content
    assert len(desk.created) == 1


async def test_requests_without_a_key_or_a_token_pass_through(app: tuple[FastAPI, Desk]) -> None:
    service, desk = app
    async with client(service) as http:
        unkeyed = headers("n", "") | {"Idempotency-Key": ""}
        for _ in range(2):
            await http.post("/events", json={"title_ka": "ა"}, headers=unkeyed)
        await http.post("/events", json={"title_ka": "ა"}, headers={"Idempotency-Key": "x"})
    assert len(desk.created) == 3


async def test_two_sendings_at_the_same_moment_create_once(app: tuple[FastAPI, Desk]) -> None:
    service, desk = app
    desk.gate.clear()
    body = {"title_ka": "ა"}
    async with client(service) as http:
        sendings = [
            asyncio.create_task(http.post("/events", json=body, headers=headers("n", "same")))
            for _ in range(4)
        ]
        await asyncio.sleep(0.3)
        desk.gate.set()
        answers = await asyncio.gather(*sendings)
    assert sorted(answer.status_code for answer in answers) == [201, 409, 409, 409]
    assert len(desk.created) == 1
