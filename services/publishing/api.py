"""Publishing's REST API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from meria.auth import CurrentUser, User, require_role
from meria.runtime import Runtime
from meria.web import request_runtime
from services.publishing import documents
from services.publishing.schemas import DocumentCreate, DocumentPublic, DocumentSubmit

router = APIRouter(prefix="/documents", tags=["documents"])
RuntimeDep = Annotated[Runtime, Depends(request_runtime)]
Editor = Annotated[User, require_role("editor")]
System = Annotated[User, require_role("system")]


def public(document: documents.Document) -> DocumentPublic:
    view = DocumentPublic.model_validate(document)
    if document.state != "draft":
        view.workflow_id = documents.workflow_id(document)
    return view


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a draft document")
async def create_document(
    data: DocumentCreate, user: Editor, runtime: RuntimeDep
) -> DocumentPublic:
    return public(await documents.create_document(runtime.db(), data, user))


@router.get("", summary="Documents, newest first")
async def list_documents(
    _: CurrentUser,
    runtime: RuntimeDep,
    state: str | None = None,
    document_type: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[DocumentPublic]:
    found = await documents.list_documents(
        runtime.db(), state=state, document_type=document_type, limit=limit, offset=offset
    )
    return [public(document) for document in found]


@router.get("/{document_id}", summary="One document")
async def get_document(document_id: int, _: CurrentUser, runtime: RuntimeDep) -> DocumentPublic:
    return public(await documents.get_document(runtime.db(), document_id))


@router.post("/{document_id}/submit", summary="Submit a draft; its workflow publishes it")
async def submit_document(
    document_id: int, data: DocumentSubmit, _: Editor, runtime: RuntimeDep
) -> DocumentPublic:
    document = await documents.submit_document(
        runtime.db(),
        runtime.temporal,
        runtime.settings.temporal_task_queue,
        document_id,
        data.publish_at,
    )
    return public(document)


@router.post(
    "/{document_id}/editions/{edition}/publication",
    summary="Publish an edition (called by the publication workflow; idempotent)",
)
async def publish_edition(
    document_id: int, edition: int, _: System, runtime: RuntimeDep
) -> DocumentPublic:
    assert runtime.outbox is not None
    return public(
        await documents.publish_edition(runtime.db(), runtime.outbox, document_id, edition)
    )
