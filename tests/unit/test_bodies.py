"""A large JSON body read an item at a time: the items as their model validates them, and
every malformed or invalid body refused as FastAPI refuses one (422, the item's place)."""

from __future__ import annotations

import json

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.requests import Request

from meria.bodies import json_items


class Journalist(BaseModel):
    full_name: str = Field(min_length=2)
    beats: list[str] = []


def request_with(body: bytes) -> Request:
    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request({"type": "http", "method": "POST", "headers": []}, receive)


async def items(body: bytes | str, max_items: int = 3) -> list[Journalist]:
    raw = body.encode() if isinstance(body, str) else body
    return await json_items(request_with(raw), "journalists", Journalist, max_items=max_items)


async def refusal(body: bytes | str, max_items: int = 3) -> dict[str, object]:
    with pytest.raises(RequestValidationError) as refused:
        await items(body, max_items)
    [error] = refused.value.errors()[:1]
    return dict(error)


async def test_the_items_come_as_their_model_makes_them_whatever_the_spacing() -> None:
    body = json.dumps(
        {"journalists": [{"full_name": "ნათია ჩიკვაიძე", "beats": ["tourism"]},
                         {"full_name": "Eka Gigauri"}]},
        indent=2, ensure_ascii=False,
    )  # fmt: skip
    found = await items(body)
    assert [j.full_name for j in found] == ["ნათია ჩიკვაიძე", "Eka Gigauri"]
    assert found[0].beats == ["tourism"]


async def test_an_invalid_item_is_refused_with_its_place() -> None:
    error = await refusal('{"journalists": [{"full_name": "ნათია"}, {"full_name": "x"}]}')
    assert error["loc"] == ("body", "journalists", 1, "full_name")


async def test_malformed_bodies_are_refused_not_failed() -> None:
    for body in (
        b"", b"[]", b"{}", b'{"others": []}', b'{"journalists": [', b'{"journalists": [1,]}',
        b'{"journalists": []} trailing', b'{"journalists": [], "more": 1}', b"\xff\xfe",
        b'{"journalists": {"full_name": "x"}}',
    ):  # fmt: skip
        await refusal(body)


async def test_too_few_or_too_many_items_are_refused() -> None:
    assert (await refusal('{"journalists": []}'))["type"] == "too_short"
    many = json.dumps({"journalists": [{"full_name": f"J {n}"} for n in range(4)]})
    assert (await refusal(many, max_items=3))["type"] == "too_long"
