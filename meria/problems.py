"""Errors as RFC 9457 problem details (`application/problem+json`) with a human message.

Every operation's OpenAPI entry lists the problems it may answer (`document_problems`),
and an exception nothing handled becomes a 500 problem that costs the client neither its
answer nor its kept-alive connection (`UnexpectedErrors`).
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry import trace
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meria.logging import get_logger

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """Raise to answer with a problem document; extra keyword arguments become members."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type: str = "about:blank",
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.headers = headers
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body


def problem_response(problem: Problem, request: Request) -> JSONResponse:
    return JSONResponse(
        problem.body(request.url.path),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


def _field(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def validation_problem(error: RequestValidationError) -> Problem:
    """A 422 naming each field that is wrong and why."""
    errors = [
        {"field": _field(item["loc"]), "message": item["msg"], "type": item["type"]}
        | _limits(item.get("ctx"))
        for item in error.errors()
    ]
    detail = "; ".join(f"{item['field']}: {item['message']}" for item in errors)
    return Problem(422, "The request is not valid", detail, errors=errors)


LIMITS = ("max_length", "min_length", "ge", "gt", "le", "lt")


def _limits(context: Any) -> dict[str, Any]:
    """The limits a refusal names (`max_length: 500`), so a form can say them in its own
    words and language."""
    if not isinstance(context, dict):
        return {}
    return {
        name: value
        for name, value in context.items()
        if name in LIMITS and isinstance(value, int | float | str)
    }


UNEXPECTED = Problem(500, "Internal error", "Something went wrong on our side; it is logged.")


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def on_problem(request: Request, problem: Problem) -> JSONResponse:
        return problem_response(problem, request)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, error: RequestValidationError) -> JSONResponse:
        return problem_response(validation_problem(error), request)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        title = HTTPStatus(error.status_code).phrase
        detail = error.detail if isinstance(error.detail, str) and error.detail != title else None
        return problem_response(
            Problem(error.status_code, title, detail, headers=error.headers), request
        )

    # Only what fails outside `UnexpectedErrors` (in a middleware around it) comes here.
    @app.exception_handler(Exception)
    async def on_error(request: Request, error: Exception) -> JSONResponse:
        log.exception("request.failed", path=request.url.path)
        return problem_response(UNEXPECTED, request)


class UnexpectedErrors:
    """The last net inside the app: an exception no handler took is logged and answered
    with a 500 problem, and the request ends there.

    Starlette's own net (`ServerErrorMiddleware`) answers too, but then raises the
    exception again for the server to see; uvicorn, finding an exception once the response
    has started, closes the connection, so a client that kept it alive found it reset on
    its next request. Only half a response still closes it: nothing else tells the client
    that the body it has is cut short.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = finished = False

        async def watched(message: Message) -> None:
            nonlocal started, finished
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                finished = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as error:
            log.exception("request.failed", path=scope["path"])
            span = trace.get_current_span()
            span.record_exception(error)
            span.set_status(trace.Status(trace.StatusCode.ERROR))
            if finished:  # a background task failed after the answer went out whole
                return
            if started:
                raise
            body = UNEXPECTED.body(scope["path"])
            await JSONResponse(body, status_code=500, media_type=PROBLEM_JSON)(scope, receive, send)


# The OpenAPI side.


class ProblemField(BaseModel):
    model_config = ConfigDict(extra="allow")

    field: str = Field(description="The field, dotted (`steps.0.role`), or `request`")
    message: str
    type: str | None = Field(None, description="The kind of error, when pydantic found it")


class ProblemDetails(BaseModel):
    """An error as RFC 9457 problem details; `detail` is meant for people."""

    model_config = ConfigDict(title="Problem", extra="allow")

    type: str = Field("about:blank", description="A URI naming the kind of problem")
    title: str = Field(description="A short summary of the kind of problem")
    status: int = Field(description="The HTTP status code")
    detail: str | None = Field(None, description="What went wrong here, for people")
    instance: str | None = Field(None, description="The path that was asked for")
    errors: list[ProblemField] | None = Field(None, description="With 422: each wrong field")


COMMON_PROBLEMS: dict[str, str] = {
    "400": "The request cannot be carried out as sent",
    "401": "No valid bearer token was sent",
    "403": "The token's roles do not allow this",
    "404": "Something the request names does not exist",
    "409": "The request conflicts with the current state",
    "413": "The request body is too large",
    "415": "The file is not of a type accepted here",
    "422": "The request is not valid: each wrong field is named",
    "429": "Too many requests: try again later",
    "503": "A server this one depends on is not answering: try again later",
}
UNSAFE = {"post", "put", "patch", "delete"}
# An operation that checks its callers itself (a token or a signed link) says so under
# this key, `meria.access.ACCESS_NOTE` (not imported: access imports auth imports this).
CHECKS_ITS_CALLERS = "x-meria-access"


def _applies(status: str, method: str, operation: dict[str, Any]) -> bool:
    """The statuses every operation of its kind may answer, decided from its shape alone."""
    has_input = bool(operation.get("parameters") or operation.get("requestBody"))
    if status in ("401", "403"):
        return bool(operation.get("security") or operation.get(CHECKS_ITS_CALLERS))
    if status in ("400", "404", "422"):
        return has_input
    if status == "409":
        return method in UNSAFE
    if status == "413":
        return "requestBody" in operation
    if status == "415":  # uploads: a file's type is read from its content
        return "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
    return True


def document_problems(openapi: dict[str, Any]) -> None:
    """Lists in each operation of an OpenAPI document the problems it may answer, as
    `application/problem+json`: the common ones its shape allows (a secured operation may
    answer 401 and 403, one with a body 413, …) and the ones its route declared without a
    body of their own. FastAPI's 422, a plain-JSON schema that Meria never sends, is
    replaced."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    problem = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    content = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path in openapi.get("paths", {}).values():
        for method, operation in path.items():
            responses = operation.setdefault("responses", {})
            fastapi_422 = responses.get("422", {}).get("content", {}).get("application/json", {})
            if fastapi_422.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                del responses["422"]
            for status, description in COMMON_PROBLEMS.items():
                if status not in responses and _applies(status, method, operation):
                    responses[status] = {"description": description}
            for status, response in responses.items():
                if status[0] in "45" and not response.get("content"):
                    response["content"] = content
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    _drop_refused_defaults(schemas)


def _drop_refused_defaults(schemas: dict[str, Any]) -> None:
    """A PATCH field that may be left out but not null (`meria.inputs.NotNull`) shows
    pydantic's `default: null`, which its own schema refuses; left out is what it means."""
    for schema in schemas.values():
        for prop in schema.get("properties", {}).values():
            nullable = prop.get("type") == "null" or any(
                branch.get("type") == "null" for branch in prop.get("anyOf", [])
            )
            if "default" in prop and prop["default"] is None and not nullable:
                del prop["default"]
