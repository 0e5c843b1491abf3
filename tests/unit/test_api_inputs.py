"""Every number an API or a page accepts has an upper bound in its OpenAPI schema.

An integer without one reached the database as it came: 2⁶⁴ overflowed SQLite (a 500), and
PostgreSQL's INTEGER stops at 2³¹. So a new route or field that takes a plain `int` (not
`meria.inputs.Id`, `Count`, or a `le=`) fails here, naming where it is."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from meria.inputs import MAX_INT, whole_number
from meria.processes import PROCESSES

APIS = ["publishing", "events", "visits", "media", "website", "portal"]


def unbounded(schema: Any, where: str, schemas: dict[str, Any], seen: frozenset[str]) -> list[str]:
    if not isinstance(schema, dict):
        return []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return []
        return unbounded(schemas[name], f"{where} ({name})", schemas, seen | {name})
    found = []
    numeric = schema.get("type") in ("integer", "number")
    bounded = {"maximum", "exclusiveMaximum", "enum", "const"} & schema.keys()  # a choice is
    if numeric and not bounded:
        found.append(where)
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            found += unbounded(branch, where, schemas, seen)
    for name, member in schema.get("properties", {}).items():
        found += unbounded(member, f"{where}.{name}", schemas, seen)
    for key in ("items", "additionalProperties"):
        found += unbounded(schema.get(key), f"{where}[]", schemas, seen)
    return found


@pytest.mark.parametrize("name", APIS)
def test_every_number_an_api_accepts_has_an_upper_bound(name: str, tmp_path: Path) -> None:
    spec = PROCESSES[name]
    app = spec.load().create_app(spec.settings_class()(var_dir=tmp_path, port=1))
    # Pages too (the website's, the portal's): their routes are left out of the OpenAPI
    # document, so a copy of each is put in for the check.
    routes = [
        copy.copy(context.original_route)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]
    for route in routes:
        route.include_in_schema = True
    document = get_openapi(title=name, version="0", routes=routes)
    schemas = document.get("components", {}).get("schemas", {})
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            at = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                where = f"{at} {parameter['in']} {parameter['name']}"
                found += unbounded(parameter["schema"], where, schemas, frozenset())
            for body in operation.get("requestBody", {}).get("content", {}).values():
                found += unbounded(body["schema"], f"{at} body", schemas, frozenset())
    assert not found, "numbers without an upper bound:\n" + "\n".join(found)


def test_a_whole_number_is_spelled_in_0_to_9_and_fits_a_column() -> None:
    assert [whole_number(text) for text in ("45", " 7 ", "0", str(MAX_INT))] == [45, 7, 0, MAX_INT]
    for text in ("²", "٣", "-1", "1.5", "", str(MAX_INT + 1), "9" * 40):
        assert whole_number(text) is None, text
