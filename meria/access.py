"""Who may call what: the one table of access, read off every route's declared gate.

Each route of a service says who it admits where it is written (`require_role`,
`require_service`, `OptionalUser`). This module reads those declarations from the apps
and renders them as one table, `docs/access.md` (`meria access`), which a test keeps
equal to the code and another proves over real HTTP, every endpoint × every role.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from meria.auth import ROLES, Gate, User, current_user, optional_user
from meria.processes import PROCESSES

Kind = Literal["gate", "signed_in", "optional", "public", "own"]
# A route whose endpoint checks its callers itself (a signed link or a token) says how
# in its `openapi_extra` under this key; the table shows it as written.
ACCESS_NOTE = "x-meria-access"


@dataclass(frozen=True)
class Rule:
    method: str
    path: str
    kind: Kind
    gate: Gate | None = None
    note: str = ""

    def admits(self, user: User | None) -> bool:
        """Whether the route's own gate lets `user` through (None: no token at all)."""
        if self.kind in ("public", "optional"):
            return True
        if self.kind == "own":
            raise ValueError(f"{self.method} {self.path} checks its callers itself")
        if user is None:
            return False
        if self.kind == "signed_in":
            return True
        assert self.gate is not None
        return self.gate.admits(user)

    @property
    def who(self) -> str:
        if self.kind == "own":
            return self.note
        if self.kind == "public":
            return "anyone"
        if self.kind == "optional":
            return "anyone; more with a token"
        if self.kind == "signed_in":
            return "any valid token"
        assert self.gate is not None
        parts = []
        if self.gate.roles:
            parts.append(", ".join(dict.fromkeys((*self.gate.roles, "admin"))))
        if self.gate.services:
            parts.append("process: " + ", ".join(self.gate.services))
        return " · ".join(parts)


def _api_routes(app: FastAPI) -> Iterator[Any]:
    """Every API route with its effective path and dependencies, included routers' too."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context


def _calls(dependant: Any) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def rule_of(route: Any, method: str) -> Rule:
    note = (route.openapi_extra or {}).get(ACCESS_NOTE)
    if note:
        return Rule(method, route.path, "own", note=str(note))
    calls = list(_calls(route.dependant))
    gates = [call.gate for call in calls if isinstance(getattr(call, "gate", None), Gate)]
    if gates:
        return Rule(method, route.path, "gate", gates[0])
    if optional_user in calls:
        return Rule(method, route.path, "optional")
    if current_user in calls:
        return Rule(method, route.path, "signed_in")
    return Rule(method, route.path, "public")


def rules(app: FastAPI) -> list[Rule]:
    """Every operation the app serves, with who may call it, in path order."""
    found = [
        rule_of(route, method)
        for route in _api_routes(app)
        for method in sorted((route.methods or set()) - {"HEAD"})
    ]
    return sorted(found, key=lambda rule: (rule.path, rule.method))


def api_rules(app: FastAPI) -> list[Rule]:
    """The operations of the app's API: its OpenAPI's, not the portal's pages."""
    documented = {
        (route.path, method)
        for route in _api_routes(app)
        if route.include_in_schema
        for method in route.methods or ()
    }
    return [rule for rule in rules(app) if (rule.path, rule.method) in documented]


def apps(**overrides: Any) -> dict[str, FastAPI]:
    """Every process's app, built from the environment's settings and never started."""
    built = {}
    for name, spec in PROCESSES.items():
        module = spec.load()
        if hasattr(module, "create_app"):
            built[name] = module.create_app(spec.settings_class()(**overrides))
    return built


def tables(built: dict[str, FastAPI] | None = None) -> dict[str, list[Rule]]:
    return {name: api_rules(app) for name, app in (built or apps()).items()}


def render(tables: dict[str, list[Rule]]) -> str:
    lines = [
        "# Who may call what",
        "",
        "Generated from the code by `meria access`; a test fails when it differs from the",
        "routes' declared gates, and another calls every endpoint as every role over HTTP.",
        "Administrators pass every role's gate; `process: worker` means the workflow worker's",
        "own identity, which no person's role implies. Finer rules inside an endpoint (the",
        "author of a document never approves it, delegation members only for protocol",
        "roles) are the services' own and tested with them.",
        "",
        f"Roles: {', '.join(ROLES)}.",
    ]
    for service, found in tables.items():
        lines += ["", f"## {service}", "", "| method | path | who |", "|---|---|---|"]
        lines += [f"| {rule.method} | `{rule.path}` | {rule.who} |" for rule in found]
    return "\n".join(lines) + "\n"
