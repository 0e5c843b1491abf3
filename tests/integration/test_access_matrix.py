"""Every endpoint × every caller over real HTTP, against the table of who may call what.

The table (meria/access.py, docs/access.md) is read off the routes' declared gates; this
proves the gates do what it says on the running services: no token is a 401, a caller
the table leaves out is a 403 problem, and a caller it names passes the gate (whatever
the endpoint then makes of an empty request). One admitted caller per endpoint is enough
to show it passes; every refused one is tried."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from meria.access import Rule, api_rules
from meria.auth import ROLES, User, service_identity
from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.stack import Stack, running_stack

SERVICES = ["publishing", "events", "visits", "media", "portal"]
# Every person's role, and two of Meria's processes: the worker, and a service that
# workflows' endpoints must refuse as they refuse people.
CALLERS: list[User | None] = [
    None,
    *(User(id=f"matrix.{role}", roles=frozenset({role})) for role in ROLES),  # type: ignore[arg-type]
    service_identity("worker"),
    service_identity("events"),
]


def headers(stack: Stack, caller: User | None) -> dict[str, str]:
    if caller is None:
        return {}
    if caller.service is not None:
        return stack.service_headers(caller.service)
    return stack.headers(*caller.roles, user=caller.id)


def concrete(path: str) -> str:
    """A path with every parameter filled in: the gate comes before any lookup."""
    return re.sub(r"\{[^}]+\}", "1", path)


def gate_refused(response: httpx.Response) -> bool:
    if response.status_code != 403:
        return False
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        raise AssertionError(f"a 403 that is no problem: {response.request.url} {response.text}")
    detail = str(response.json().get("detail", ""))
    return (
        detail.startswith("This needs one of the roles")
        or "may not do this" in detail
        or (detail == "This is for Meria's own processes only.")
    )


@pytest.fixture
async def stack(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> Stack:
    async with running_stack(
        SERVICES,
        tmp_path=tmp_path,
        nats_url=nats_server.url,
        temporal_address=temporal_server.address,
        new_database=new_database,
    ) as stack:
        yield stack  # type: ignore[misc]


async def test_every_endpoint_admits_whom_the_table_says_and_refuses_the_rest(
    stack: Stack,
) -> None:
    checked = refused = 0
    async with httpx.AsyncClient(timeout=20) as http:
        for service in SERVICES:
            rules = [r for r in api_rules(stack.apps[service]) if r.kind in ("gate", "signed_in")]
            assert rules, service
            for rule in rules:
                admitted = [c for c in CALLERS if rule.admits(c)]
                outsiders = [c for c in CALLERS if not rule.admits(c)]
                for caller in (
                    outsiders
                    + admitted[:1]
                    + [c for c in admitted[1:] if c is not None and c.service is not None]
                ):
                    response = await call(http, stack, service, rule, caller)
                    what = f"{service} {rule.method} {rule.path} as {caller}: {response.text}"
                    if caller is None and not rule.admits(None):
                        assert response.status_code == 401, what
                    elif not rule.admits(caller):
                        assert gate_refused(response), what
                        assert response.headers["content-type"].startswith(
                            "application/problem+json"
                        ), what
                        refused += 1
                    else:
                        assert response.status_code != 401 and not gate_refused(response), what
                    checked += 1
    # Every service's workflow endpoints exist and were refused to every person.
    assert refused > 1000, refused
    assert checked > refused


async def call(
    http: httpx.AsyncClient, stack: Stack, service: str, rule: Rule, caller: User | None
) -> httpx.Response:
    body = {} if rule.method in ("POST", "PUT", "PATCH") else None
    return await http.request(
        rule.method,
        stack.urls[service] + concrete(rule.path),
        json=body,
        headers=headers(stack, caller),
    )
