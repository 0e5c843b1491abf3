"""The information desk's REST API: requests of the municipal council and the mayor's
office services, the department's answer with its files, search over earlier answers,
and the information request workflow's own endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, UploadFile, status
from fastapi.responses import Response

from meria import uploads
from meria.auth import User, require_role
from meria.case_api import case_router
from meria.cases import TaskNotice
from meria.cases.media import InformationCase, InformationTransition, InformationWorkflowStatus
from meria.cases.tasks import TaskResult
from meria.inputs import Id, Offset
from meria.problems import Problem
from meria.runtime import Runtime
from meria.web import FILE_RESPONSE, RuntimeDep
from services.media import information
from services.media.api import (
    STAFF_ROLES,
    _stream,
    outbox_of,
    settings_of,
    storage_of,
)
from services.media.schemas import (
    AnswerWrite,
    Declining,
    InformationFilePublic,
    InformationPage,
    InformationRequestCreate,
    InformationRequestPublic,
)

Asker = Annotated[User, require_role("requester", *STAFF_ROLES, "admin")]
Desk = Annotated[User, require_role(*information.DESK)]

router = APIRouter(prefix="/information-requests", tags=["information requests"])


async def _view(runtime: RuntimeDep, request_id: int, user: User) -> InformationRequestPublic:
    found = await information.readable(runtime.db(), request_id, user)
    similar = (
        await information.similar_answers(runtime.db(), found)
        if user.has_any(*information.DESK) and found.status == information.OPEN
        else []
    )
    return information.view(found, user, similar)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Ask the department to find and select information (an inbox task for it)",
)
async def create_request(
    data: InformationRequestCreate, user: Asker, runtime: RuntimeDep
) -> InformationRequestPublic:
    created = await information.create(
        runtime.db(), runtime.temporal, outbox_of(runtime), settings_of(runtime), data, user
    )
    return await _view(runtime, created.id, user)


@router.get("", summary="Requests, newest first: a requester's own, or all for the department")
async def list_requests(
    user: Asker,
    runtime: RuntimeDep,
    text: Annotated[
        str | None, Query(max_length=200, description="Words of the title, question or answer")
    ] = None,
    status_: Annotated[
        str | None, Query(alias="status", max_length=100, description="open, answered, …")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> InformationPage:
    found, total = await information.listing(
        runtime.db(), user, text=text, status=status_, limit=limit, offset=offset
    )
    return InformationPage(items=[information.view(r, user) for r in found], total=total)


@router.get("/{request_id}", summary="A request; for the department, with similar earlier answers")
async def get_request(request_id: Id, user: Asker, runtime: RuntimeDep) -> InformationRequestPublic:
    return await _view(runtime, request_id, user)


@router.get("/{request_id}/status", summary="Where the request's workflow stands")
async def request_status(
    request_id: Id, user: Asker, runtime: RuntimeDep
) -> InformationWorkflowStatus:
    found = await information.readable(runtime.db(), request_id, user)
    current = await information.workflow_status(runtime.temporal, found)
    if current is None:
        raise Problem(404, "No workflow", f"Request {request_id} has no workflow.")
    return current


@router.put("/{request_id}/answer", summary="Write (or rewrite) the answer's text")
async def write_answer(
    request_id: Id, data: AnswerWrite, user: Desk, runtime: RuntimeDep
) -> InformationRequestPublic:
    await information.write_answer(runtime.db(), request_id, data.text, user)
    return await _view(runtime, request_id, user)


@router.post(
    "/{request_id}/files",
    status_code=status.HTTP_201_CREATED,
    summary="Attach a file to the answer (PDF, Word, Excel, OpenDocument, CSV, text, JPEG, PNG)",
    responses=uploads.REFUSALS,
)
async def add_file(
    request_id: Id, request: Request, file: UploadFile, user: Desk, runtime: RuntimeDep
) -> InformationFilePublic:
    added = await information.add_file(
        runtime.db(), storage_of(request), settings_of(runtime), request_id,
        file.filename or "file", file.file, user,
    )  # fmt: skip
    return InformationFilePublic.model_validate(added)


@router.delete(
    "/{request_id}/files/{file_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Take a file off the answer before it is sent",
)
async def remove_file(
    request_id: Id, file_id: Id, request: Request, user: Desk, runtime: RuntimeDep
) -> None:
    await information.remove_file(runtime.db(), storage_of(request), request_id, file_id, user)


@router.get(
    "/{request_id}/files/{file_id}", summary="A file of the answer", responses=FILE_RESPONSE
)
async def get_file(
    request_id: Id, file_id: Id, request: Request, user: Asker, runtime: RuntimeDep
) -> Response:
    found = await information.file_of(runtime.db(), request_id, file_id, user)
    response = await _stream(request, found.stored_name, found.media_type, found.filename)
    response.headers["X-Content-SHA256"] = found.sha256
    return response


@router.post("/{request_id}/send", summary="Send the answer to the requester (the task is done)")
async def send_answer(request_id: Id, user: Desk, runtime: RuntimeDep) -> TaskResult:
    return await information.send_answer(runtime.db(), runtime.temporal, request_id, user)


@router.post("/{request_id}/decline", summary="Decline the request, with the reason")
async def decline(request_id: Id, data: Declining, user: Desk, runtime: RuntimeDep) -> TaskResult:
    return await information.decline(runtime.db(), runtime.temporal, request_id, data.reason, user)


@router.post("/{request_id}/withdraw", summary="The requester no longer needs it")
async def withdraw(
    request_id: Id, data: Declining, user: Asker, runtime: RuntimeDep
) -> InformationWorkflowStatus:
    return await information.withdraw(runtime.db(), runtime.temporal, request_id, data.reason, user)


def _request(request_id: Id) -> int:
    return request_id


class _InformationCases:
    """What the media service does when an information request's workflow calls it."""

    async def case(self, runtime: Runtime, request_id: int) -> InformationCase:
        return await information.case_info(runtime.db(), request_id)

    async def transition(
        self, runtime: Runtime, request_id: int, data: InformationTransition, key: str | None
    ) -> InformationCase:
        return await information.record_transition(
            runtime.db(), outbox_of(runtime), request_id, data, key
        )

    async def notice(
        self, runtime: Runtime, request_id: int, notice: TaskNotice, key: str | None
    ) -> None:
        await information.task_notice(runtime.db(), outbox_of(runtime), request_id, notice, key)


workflow_router = case_router(
    prefix="/information-requests/{request_id}",
    ref=_request,
    side=_InformationCases(),
    case=InformationCase,
    transition=InformationTransition,
    answer=InformationCase,
    summaries={
        "case": "What the information request workflow needs to run",
        "transitions": "Record the request's outcome",
        "notices": "A reminder or escalation",
    },
)


ROUTERS = [router, workflow_router]
