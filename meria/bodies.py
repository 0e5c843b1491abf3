"""A large JSON body read a slice at a time, so that reading it never holds the loop.

FastAPI decodes and validates a request's body in one go on the event loop; for an
import of 10,000 entries that is the best part of a second in which the service answers
no one (a thread does not help: the JSON decoder and pydantic keep the GIL throughout).
`json_items` takes a body of the form `{"<key>": [item, …]}`, decodes it one item at a
time and validates each with the item's model, letting the loop answer others between
slices. Errors are those FastAPI gives (422, with the item's place in `loc`).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any, NoReturn, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

# Items decoded and validated between two looks at the loop: a few milliseconds.
SLICE = 100
_SPACE = re.compile(r"[ \t\n\r]*")
_decoder = json.JSONDecoder()


class _Malformed(Exception):
    pass


def _refused(key: str, kind: str, message: str, place: tuple[Any, ...] = ()) -> NoReturn:
    raise RequestValidationError([{"type": kind, "loc": ("body", key, *place), "msg": message}])


class _Reader:
    """Walks the text of `{"<key>": [ … ]}`, one JSON value at a time."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def space(self) -> str:
        self.at = _SPACE.match(self.text, self.at).end()  # type: ignore[union-attr]
        return self.text[self.at : self.at + 1]

    def expect(self, character: str) -> None:
        if self.space() != character:
            raise _Malformed(f"expected {character!r} at character {self.at}")
        self.at += 1

    def value(self) -> Any:
        self.space()
        try:
            found, self.at = _decoder.raw_decode(self.text, self.at)
        except json.JSONDecodeError as error:
            raise _Malformed(str(error)) from None
        return found


async def json_items(
    request: Request, key: str, model: type[M], *, min_items: int = 1, max_items: int
) -> list[M]:
    """The items of the body's list under `key`, each validated by `model`."""
    try:
        reader = _Reader((await request.body()).decode("utf-8"))
    except UnicodeDecodeError:
        _refused(key, "json_invalid", "The body is not UTF-8 text.")
    items: list[M] = []
    try:
        reader.expect("{")
        if reader.space() == "}" or reader.value() != key:
            _refused(key, "missing", f"The body is an object with one field, {key!r}.")
        reader.expect(":")
        reader.expect("[")
        if reader.space() == "]":
            reader.at += 1
        while reader.text[reader.at - 1] != "]":
            if len(items) == max_items:
                _refused(key, "too_long", f"At most {max_items} items at once.")
            try:
                items.append(model.model_validate(reader.value()))
            except ValidationError as error:
                raise RequestValidationError(
                    [{**e, "loc": ("body", key, len(items), *e["loc"])} for e in error.errors()]
                ) from None
            if reader.space() not in (",", "]"):
                raise _Malformed(f"expected ',' or ']' at character {reader.at}")
            reader.at += 1
            if len(items) % SLICE == 0:
                await asyncio.sleep(0)
        reader.expect("}")
        if reader.space():
            raise _Malformed(f"more after the object, at character {reader.at}")
    except _Malformed as error:
        _refused(key, "json_invalid", f"The body is not the JSON expected: {error}.")
    if len(items) < min_items:
        _refused(key, "too_short", f"At least {min_items} item(s).")
    return items


def openapi_body(model: type[BaseModel]) -> dict[str, Any]:
    """The request body to document for a route that reads its body with `json_items`
    (`openapi_extra`); the item models it names are the API's documented ones."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    }


__all__ = ["json_items", "openapi_body"]
