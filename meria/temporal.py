"""Temporal: the client every process uses, and the search attributes that index cases.

The client carries the pydantic data converter (typed inputs and results) and the
OpenTelemetry tracing interceptor, so a workflow started from an HTTP request continues
that request's trace. Search attributes hold no personal data: they are not encrypted.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import SearchAttributeKey
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from meria.cases import Handler
from meria.config import Settings
from meria.logging import get_logger
from meria.problems import Problem

log = get_logger(__name__)

KIND = SearchAttributeKey.for_keyword("MeriaKind")
STAGE = SearchAttributeKey.for_keyword("MeriaStage")
AWAITING = SearchAttributeKey.for_keyword_list("MeriaAwaiting")
ASSIGNEE = SearchAttributeKey.for_keyword("MeriaAssignee")
DUE_AT = SearchAttributeKey.for_datetime("MeriaDueAt")
SUBJECT = SearchAttributeKey.for_text("MeriaSubject")
REF = SearchAttributeKey.for_keyword("MeriaRef")
# When a task's holder means to look at it again (a follow-up date); unset when none.
FOLLOW_UP_AT = SearchAttributeKey.for_datetime("MeriaFollowUpAt")

SEARCH_ATTRIBUTES: dict[str, str] = {
    KIND.name: "Keyword",
    STAGE.name: "Keyword",
    AWAITING.name: "KeywordList",
    ASSIGNEE.name: "Keyword",
    DUE_AT.name: "Datetime",
    SUBJECT.name: "Text",
    REF.name: "Keyword",
    FOLLOW_UP_AT.name: "Datetime",
}

KINDS = (
    "document",
    "task",
    "visit",
    "press_conference",
    "meeting",
    "media_response",
    "information_request",
    "digest",
)

_INDEXED = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "KeywordList": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "Text": IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
}

__all__ = [
    "ASSIGNEE",
    "AWAITING",
    "DUE_AT",
    "FOLLOW_UP_AT",
    "KIND",
    "REF",
    "SEARCH_ATTRIBUTES",
    "STAGE",
    "SUBJECT",
    "connect",
    "connect_to",
    "connect_with_retry",
    "query_status",
    "register_search_attributes",
    "send_update",
    "tls_of",
]


async def connect(
    address: str,
    namespace: str,
    *,
    tls: bool | TLSConfig = False,
    api_key: str | None = None,
) -> Client:
    return await Client.connect(
        address,
        namespace=namespace,
        data_converter=pydantic_data_converter,
        interceptors=[TracingInterceptor()],
        tls=tls,
        api_key=api_key,
    )


def tls_of(settings: Settings) -> bool | TLSConfig:
    """The TLS towards Temporal that the settings ask for (`False`: plain, as on the
    stack's own network); the files are read now, so a missing one names itself."""
    if not settings.temporal_uses_tls:
        return False

    def read(path: Path | None) -> bytes | None:
        return path.read_bytes() if path is not None else None

    return TLSConfig(
        server_root_ca_cert=read(settings.temporal_tls_ca),
        client_cert=read(settings.temporal_tls_cert),
        client_private_key=read(settings.temporal_tls_key),
        domain=settings.temporal_tls_server_name,
    )


async def connect_to(settings: Settings) -> Client:
    """The client of the settings' Temporal: its address, namespace, TLS and API key."""
    api_key = settings.temporal_api_key
    return await connect(
        settings.temporal_address,
        settings.temporal_namespace,
        tls=tls_of(settings),
        api_key=api_key.get_secret_value() if api_key is not None else None,
    )


async def connect_with_retry(settings: Settings, *, max_backoff: float = 1.0) -> Client:
    """Connect, waiting with backoff for the server to come up."""
    delay = 0.2
    while True:
        try:
            return await connect_to(settings)
        except Exception as error:
            log.warning(
                "temporal.connect_failed",
                address=settings.temporal_address,
                error=str(error),
                retry_in=delay,
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_backoff)


async def register_search_attributes(client: Client, namespace: str) -> None:
    """Register Meria's search attributes where the server lacks them (the test server,
    which cannot list them: there every attribute is added, and "exists" is fine)."""
    wanted = {name: _INDEXED[kind] for name, kind in SEARCH_ATTRIBUTES.items()}
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        wanted = {
            name: kind for name, kind in wanted.items() if name not in existing.custom_attributes
        }
    except RPCError as error:
        if error.status != RPCStatusCode.UNIMPLEMENTED:
            raise
    if not wanted:
        return
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=wanted)
        )
    except RPCError as error:
        if error.status != RPCStatusCode.ALREADY_EXISTS:
            raise


async def query_status(client: Client, workflow_id: str, query: Any) -> Any:
    """A case workflow's answer to a query; None when there is no such workflow (a case
    whose workflow has not started, or was deleted). Temporal away is a 503 Problem."""
    try:
        handle = client.get_workflow_handle(workflow_id)
        if isinstance(query, Handler):
            return await handle.query(query.name, result_type=query.answer)
        return await handle.query(query)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise Problem(
            503,
            "Workflows unavailable",
            "Temporal did not answer; try again.",
            temporal_status=error.status.name,
            temporal_message=error.message[:300],
        ) from None


NOT_STARTED_GRACE_SECONDS = 1.5


async def send_update(
    client: Client,
    workflow_id: str,
    update: Any,
    argument: Any,
    *,
    not_found: Problem | None = None,
) -> Any:
    """Send an Update for a service's API: a validator's refusal becomes a 409 carrying
    its message, a finished (or absent) workflow `not_found` or a 409, an unreachable or
    overloaded server a 503.

    A case shows its next step (in its query, on the inbox) in the same workflow task that
    starts the step's workflow, which Temporal starts a moment later: Temporal answers
    "not found" for a workflow not started yet and for one already finished alike, so
    that answer is asked again for up to `NOT_STARTED_GRACE_SECONDS` before it stands."""
    handle = client.get_workflow_handle(workflow_id)
    deadline = asyncio.get_running_loop().time() + NOT_STARTED_GRACE_SECONDS
    while True:
        try:
            return await _execute_update(handle, update, argument, not_found)
        except _NotFound as error:
            if asyncio.get_running_loop().time() >= deadline:
                raise error.problem from None
            await asyncio.sleep(0.1)


class _NotFound(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


async def _execute_update(
    handle: Any, update: Any, argument: Any, not_found: Problem | None
) -> Any:
    try:
        if isinstance(update, Handler):
            return await handle.execute_update(update.name, argument, result_type=update.answer)
        return await handle.execute_update(update, argument)
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        message = cause.message if isinstance(cause, ApplicationError) else str(cause)
        raise Problem(409, "Refused", message) from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        # The workflow did not take it in time; it may yet: look before sending it again.
        raise Problem(
            503,
            "Workflows busy",
            "The workflow did not answer in time; look at the case before trying again.",
        ) from None
    except RPCError as error:
        if error.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            finished = not_found or Problem(
                409, "No longer open", "That task or case has already finished."
            )
            if error.status == RPCStatusCode.NOT_FOUND:
                raise _NotFound(finished) from None
            raise finished from None
        raise Problem(
            503,
            "Workflows unavailable",
            "Temporal did not answer; try again.",
            temporal_status=error.status.name,
            temporal_message=error.message[:300],
        ) from None
