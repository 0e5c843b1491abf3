"""What every API accepts the same way: ids, offsets, months, days and moments that the
database and the calendar can hold, and partial updates in which null clears only what may
be empty.

A value the edge lets through must not fail deeper down: an id of 2⁶⁴ passed validation as
a plain `int` and then overflowed SQLite's 64-bit integers (PostgreSQL's `INTEGER` stops at
2³¹), and the month `0000-01` matched its pattern and then broke `datetime`. So the limits
are in the types, where the OpenAPI document shows them and pydantic refuses with a 422.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, TypeVar

from annotated_types import Interval
from pydantic import (
    AfterValidator,
    AwareDatetime,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

MAX_INT = 2**31 - 1
"""The largest value an `INTEGER` column holds on PostgreSQL (SQLite's go further)."""

Id = Annotated[int, Interval(ge=1, le=MAX_INT)]
"""A row's id, in a path, a query or a body."""

Count = Annotated[int, Interval(ge=0, le=MAX_INT)]
"""A whole number a column stores: an offset, a quantity, a number of days."""

Offset = Count
"""How many items of a list to skip."""

Month = Annotated[str, StringConstraints(pattern=r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$")]
"""A month written `YYYY-MM`, from 1900 to 2199: the next month and its last day exist too."""


class _NullRefused:
    """Marks a partial update's field that may be left out but never set to null."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(_refuse_null, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found = handler(schema)
        kept = [branch for branch in found.get("anyOf", []) if branch != {"type": "null"}]
        if "anyOf" in found and len(kept) == 1:
            found = {key: value for key, value in found.items() if key != "anyOf"} | kept[0]
        return found


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError(
            "null_refused", "cannot be null: leave the field out to keep its value"
        )
    return value


T = TypeVar("T")

NotNull = Annotated[T | None, _NullRefused()]
"""A field of a PATCH body whose column holds a value always: `title: NotNull[str] = None`.
Left out (so None in the model), it keeps its value; an explicit null is a 422 naming the
field, where it used to reach the database and fail there. A field that may be cleared
stays `str | None`."""


FIRST_YEAR, LAST_YEAR = 1900, 2199


def _within_the_calendar(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise PydanticCustomError(
            "out_of_calendar",
            "must fall between the years {first} and {last}",
            {"first": FIRST_YEAR, "last": LAST_YEAR},
        )
    return value


Day = Annotated[date, AfterValidator(_within_the_calendar)]
"""A day from 1900 to 2199: Python's dates end at 9999, so a day near the end of it
overflowed as soon as a deadline or a time zone was added to it."""

Moment = Annotated[AwareDatetime, AfterValidator(_within_the_calendar)]
"""A moment with its time zone, from 1900 to 2199 (see `Day`)."""


def whole_number(text: str) -> int | None:
    """The whole number `text` spells in the digits 0-9, if a column can hold it; else None.
    (`str.isdigit` admits '²', which `int` refuses, and sets no bound.)"""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_INT)):
        return None
    number = int(text)
    return number if number <= MAX_INT else None


Page = Annotated[int, Interval(ge=1, le=100_000)]
"""A page of a list, counted from 1."""
