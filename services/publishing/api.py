"""Publishing's REST API: documents for staff, the workflow's own endpoints, administration
of routes and issuers, and what is public (the register, files, the signing key)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any, get_args

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, Query, Request, UploadFile, status
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from sqlalchemy import select

from meria import uploads
from meria.auth import OptionalUser, System, User, require_role
from meria.bus import Outbox
from meria.case_api import case_router, claim_router
from meria.cases import TaskNotice
from meria.cases.documents import (
    CaseInfo,
    PublicationStatus,
    PublishedEdition,
    TransitionRequest,
    TransitionResult,
)
from meria.cases.tasks import TaskResult
from meria.idempotency import IdempotencyKey
from meria.inputs import Id, Moment, Offset
from meria.pictures import allowed_video
from meria.problems import Problem
from meria.runtime import Runtime
from meria.web import FILE_RESPONSE, RuntimeDep, sent_as
from services.publishing import (
    acts,
    consolidation,
    documents,
    keeping,
    lifecycle,
    preview,
    review,
    signed_originals,
    signing,
)
from services.publishing.models import ApprovalRoute, Document, Issuer, RouteChange
from services.publishing.routes import current_route, route_key, route_refusal
from services.publishing.schemas import (
    PLAN_FIELDS,
    AttachmentPublic,
    AuditEntryPublic,
    ConsolidationCreate,
    DecisionRequest,
    DigestRecord,
    DocumentCreate,
    DocumentPublic,
    DocumentType,
    DocumentUpdate,
    EditionCreate,
    EditionDiff,
    EntryIntoForceRecord,
    IssuerPublic,
    IssuerUpdate,
    PreviewLink,
    ReasonRequest,
    RegisterEntry,
    RetrospectiveApproval,
    RouteChangePublic,
    RouteKey,
    RoutePublic,
    RouteUpdate,
    SubmitRequest,
    UnpublishRequest,
    WithdrawRequest,
)
from services.publishing.settings import PublishingSettings
from services.publishing.views import document_view, edition_view

Editor = Annotated[User, require_role("editor")]
STAFF_ROLES = (
    "editor",
    "legal_reviewer",
    "head_of_department",
    "mayor",
    "media_officer",
    "protocol_officer",
)
Staff = Annotated[User, require_role(*STAFF_ROLES)]
# The worker reads documents and writes the ones a case makes in an editor's name.
StaffOrWorker = Annotated[User, require_role(*STAFF_ROLES, services=("worker",))]
EditorOrWorker = Annotated[User, require_role("editor", services=("worker",))]
Head = Annotated[User, require_role("head_of_department")]
Lawyer = Annotated[User, require_role("legal_reviewer")]
EditorOrLawyer = Annotated[User, require_role("editor", "legal_reviewer")]
Admin = Annotated[User, require_role("admin")]
# What only the publication workflow does: no person's role, an administrator's included.
PEM = "application/x-pem-file"

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def settings_of(runtime: Runtime) -> PublishingSettings:
    settings = runtime.settings
    assert isinstance(settings, PublishingSettings)
    return settings


def outbox_of(runtime: Runtime) -> Outbox:
    assert runtime.outbox is not None
    return runtime.outbox


def signing_key(request: Request) -> Ed25519PrivateKey:
    key: Ed25519PrivateKey = request.app.state.signing_key
    return key


def officials(request: Request) -> signed_originals.Officials:
    found: signed_originals.Officials = request.app.state.officials
    return found


async def views(runtime: Runtime, found: list[Document]) -> list[DocumentPublic]:
    """Documents as the API shows them, with the published acts that change each (read
    for them all at once)."""
    if not found:
        return []
    async with runtime.db().session() as session:
        changes = await acts.changed_by(session, [document.id for document in found])
    settings = settings_of(runtime)
    return [document_view(d, settings, changes.get(d.id)) for d in found]


async def fresh(runtime: Runtime, document_id: int) -> DocumentPublic:
    """The document as it is now, read with everything it shows."""
    [shown] = await views(runtime, [await documents.get_document(runtime.db(), document_id)])
    return shown


class DocumentPage(BaseModel):
    items: list[DocumentPublic]
    total: int
    limit: int
    offset: int
    windowed: bool = Field(
        default=False,
        description=(
            "The words are in more editions than a search reads (the newest "
            f"{documents.TEXT_WINDOW:,}): the items and the total are of those; more words "
            "or a filter narrow it"
        ),
    )


documents_router = APIRouter(prefix="/documents", tags=["documents"])


@documents_router.post("", status_code=status.HTTP_201_CREATED, summary="Create a draft")
async def create_document(
    data: DocumentCreate, user: EditorOrWorker, runtime: RuntimeDep
) -> DocumentPublic:
    allowed_video(data.video_url, runtime.settings.video_hosts)
    keeping.check_plan(data.document_type, data, documents.now())
    document = await documents.create_document(runtime.db(), data, written_by(user, data.author))
    return await fresh(runtime, document.id)


def written_by(user: User, author: str | None) -> User:
    """Whose document it is: the editor calling, or the editor the worker names when a
    case writes in their name. The worker gets no role of its own by it: what the
    document's author may do next, it does only through the endpoints open to it."""
    if user.service is None:
        if author is not None and author != user.id:
            raise Problem(
                422, "Not allowed", "Only Meria's workflows write a document in another's name."
            )
        return user
    if author is None:
        raise Problem(422, "Author required", "Name the editor the document is written for.")
    return User(id=author, roles=frozenset({"editor"}))


async def as_its_author(runtime: Runtime, user: User, document_id: int) -> User:
    """The worker acts on a document it wrote as the editor it wrote it for."""
    if user.service is None:
        return user
    document = await documents.get_document(runtime.db(), document_id)
    return written_by(user, document.created_by)


@documents_router.get("", summary="Documents, newest first, filtered")
async def list_documents(
    _: StaffOrWorker,
    runtime: RuntimeDep,
    document_type: DocumentType | None = None,
    state: str | None = None,
    issuer: str | None = None,
    year: Annotated[int | None, Query(ge=1990, le=2200)] = None,
    number: Annotated[str | None, Query(max_length=40)] = None,
    text: Annotated[str | None, Query(max_length=200, description="Words in title or text")] = None,
    published_from: Annotated[
        Moment | None, Query(description="An edition published at or after this time")
    ] = None,
    published_to: Annotated[
        Moment | None, Query(description="… and before this time (a month: its bounds)")
    ] = None,
    author: Annotated[
        str | None,
        Query(max_length=200, description="Whose editions: who submitted (or drafted) them"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> DocumentPage:
    found = await documents.list_documents(
        runtime.db(),
        author=author,
        document_type=document_type,
        state=state,
        issuer=issuer,
        year=year,
        number=number,
        text=text,
        published_from=published_from,
        published_to=published_to,
        limit=limit,
        offset=offset,
    )
    return DocumentPage(
        items=await views(runtime, found.documents),
        total=found.total,
        limit=limit,
        offset=offset,
        windowed=found.windowed,
    )


@documents_router.get("/{document_id}", summary="A document with its editions")
async def get_document(document_id: Id, _: StaffOrWorker, runtime: RuntimeDep) -> DocumentPublic:
    return await fresh(runtime, document_id)


@documents_router.patch("/{document_id}", summary="Change the edition in progress")
async def edit_document(
    document_id: Id, data: DocumentUpdate, user: Editor, runtime: RuntimeDep
) -> DocumentPublic:
    allowed_video(data.video_url, runtime.settings.video_hosts)
    if data.model_fields_set - PLAN_FIELDS or not data.plan_given():
        await review.edit(runtime.settings, runtime.db(), runtime.temporal, document_id, data, user)
    # A page's owner and review dates are the document's, whatever its edition's state.
    await keeping.replan(runtime, document_id, data, user)
    return await fresh(runtime, document_id)


@documents_router.delete("/{document_id}", summary="Delete a draft never submitted")
async def delete_document(document_id: Id, user: Editor, runtime: RuntimeDep) -> DocumentPublic:
    await documents.delete_draft(runtime.db(), document_id, user)
    return await fresh(runtime, document_id)


@documents_router.get("/{document_id}/editions/{number}", summary="One edition")
async def get_edition(document_id: Id, number: Id, _: Staff, runtime: RuntimeDep) -> Any:
    document = await documents.get_document(runtime.db(), document_id)
    return edition_view(document, documents.edition_of(document, number), settings_of(runtime))


@documents_router.post(
    "/{document_id}/editions",
    status_code=status.HTTP_201_CREATED,
    summary="Start a new edition of a published document",
)
async def create_edition(
    document_id: Id, data: EditionCreate, user: Editor, runtime: RuntimeDep
) -> DocumentPublic:
    await documents.create_edition(runtime.db(), document_id, data, user)
    return await fresh(runtime, document_id)


@documents_router.get(
    "/{document_id}/editions/{number}/diff",
    summary="The edition's Georgian text against the published edition before it, word by word",
)
async def edition_diff(document_id: Id, number: Id, _: Staff, runtime: RuntimeDep) -> EditionDiff:
    return await documents.edition_diff(runtime.db(), document_id, number)


@documents_router.post(
    "/{document_id}/consolidations",
    status_code=status.HTTP_201_CREATED,
    summary="Start a consolidated text of a legal act as of a day, with its amendments applied",
)
async def consolidate(
    document_id: Id, data: ConsolidationCreate, user: EditorOrLawyer, runtime: RuntimeDep
) -> DocumentPublic:
    await consolidation.consolidate(runtime.db(), document_id, data, user)
    return await fresh(runtime, document_id)


@documents_router.post(
    "/{document_id}/entry-into-force",
    summary="Record the day the condition a published legal act waited on was met",
)
async def enter_into_force(
    document_id: Id, data: EntryIntoForceRecord, user: Lawyer, runtime: RuntimeDep
) -> DocumentPublic:
    await review.record_entry_into_force(runtime.db(), outbox_of(runtime), document_id, data, user)
    return await fresh(runtime, document_id)


@documents_router.post(
    "/{document_id}/attachments",
    status_code=status.HTTP_201_CREATED,
    summary="Attach a PDF, DOCX, ODT or image to the edition in progress",
    responses=uploads.REFUSALS,
)
async def add_attachment(
    document_id: Id, file: UploadFile, user: EditorOrWorker, runtime: RuntimeDep
) -> AttachmentPublic:
    settings = settings_of(runtime)
    user = await as_its_author(runtime, user, document_id)
    attachment = await documents.add_attachment(runtime.db(), settings, document_id, file, user)
    document = await documents.get_document(runtime.db(), document_id)
    edition = documents.require_working(document)
    return AttachmentPublic(
        id=attachment.id,
        filename=attachment.filename,
        media_type=attachment.media_type,
        size=attachment.size,
        sha256=attachment.sha256,
        url=lifecycle.attachment_url(settings, edition, attachment.id),
    )


@documents_router.delete(
    "/{document_id}/attachments/{attachment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an attachment from the edition in progress",
)
async def remove_attachment(
    document_id: Id, attachment_id: Id, _: Editor, runtime: RuntimeDep
) -> None:
    await documents.remove_attachment(runtime.db(), document_id, attachment_id)


@documents_router.get(
    "/{document_id}/editions/{number}/attachments/{attachment_id}",
    summary="An attachment's file (public once published)",
    response_class=FileResponse,
    responses=FILE_RESPONSE,
)
async def attachment_file(
    document_id: Id, number: Id, attachment_id: Id, user: OptionalUser, runtime: RuntimeDep
) -> FileResponse:
    attachment, path = await documents.attachment_file(
        runtime.db(),
        settings_of(runtime),
        document_id,
        number,
        attachment_id,
        user,
        reads_drafts=_reads_documents(user),
    )
    if not await asyncio.to_thread(path.exists):
        raise Problem(503, "File unavailable", "The file is missing from storage.")
    headers = uploads.served_headers(attachment.media_type, attachment.filename)
    return FileResponse(
        path,
        media_type=headers["Content-Type"],
        headers=headers | {"X-Content-SHA256": attachment.sha256},
    )


def _reads_documents(user: User | None) -> bool:
    """Whether `user` passes `Staff`, the rule of `GET /documents/{id}`: a draft's files
    are read by whoever may read the draft, and by no one else."""
    if user is None:
        return False
    admits = get_args(Staff)[1].dependency  # the check `require_role` made for `Staff`
    try:
        admits(user)
    except Problem:
        return False
    return True


@documents_router.post("/{document_id}/submit", summary="Submit for approval")
async def submit_document(
    document_id: Id, data: SubmitRequest, user: EditorOrWorker, runtime: RuntimeDep
) -> DocumentPublic:
    user = await as_its_author(runtime, user, document_id)
    await review.submit(
        runtime.db(),
        runtime.temporal,
        outbox_of(runtime),
        runtime.settings.temporal_task_queue,
        document_id,
        data,
        user,
    )
    return await fresh(runtime, document_id)


@documents_router.post("/{document_id}/decisions", summary="Approve, reject or request changes")
async def decide(
    document_id: Id, data: DecisionRequest, user: Staff, runtime: RuntimeDep, request: Request
) -> TaskResult:
    return await review.decide(
        runtime.settings,
        runtime.db(),
        runtime.temporal,
        document_id,
        data,
        user,
        officials(request),
    )


@documents_router.post("/{document_id}/resubmit", summary="Resubmit after changes")
async def resubmit(document_id: Id, user: Editor, runtime: RuntimeDep) -> PublicationStatus:
    status_: PublicationStatus = await review.resubmit(
        runtime.settings, runtime.db(), runtime.temporal, document_id, user
    )
    return status_


@documents_router.post(
    "/{document_id}/withdraw", summary="Withdraw: from its route, or from publication"
)
async def withdraw(
    document_id: Id, data: WithdrawRequest, user: StaffOrWorker, runtime: RuntimeDep
) -> DocumentPublic:
    # A case withdraws what it wrote (a moved conference's advisory), in its author's
    # name, and only from its route: taking down a publication is a person's decision.
    route_only = user.service is not None
    user = await as_its_author(runtime, user, document_id)
    await review.withdraw(
        runtime.settings,
        runtime.db(),
        runtime.temporal,
        outbox_of(runtime),
        document_id,
        data,
        user,
        route_only=route_only,
    )
    return await fresh(runtime, document_id)


@documents_router.post("/{document_id}/unpublish", summary="Take down a publication made in error")
async def unpublish(
    document_id: Id, data: UnpublishRequest, user: Head, runtime: RuntimeDep
) -> DocumentPublic:
    await review.unpublish(runtime.db(), outbox_of(runtime), document_id, data, user)
    await keeping.after_taking_down(runtime, document_id)
    return await fresh(runtime, document_id)


@documents_router.post(
    "/{document_id}/force-publish", summary="Publish without the remaining review steps"
)
async def force_publish(
    document_id: Id, data: ReasonRequest, user: Head, runtime: RuntimeDep
) -> PublicationStatus:
    status_: PublicationStatus = await review.force_publish(
        runtime.settings, runtime.db(), runtime.temporal, document_id, data.reason, user
    )
    return status_


@documents_router.post(
    "/{document_id}/retrospective-approvals",
    summary="Approve afterwards what was published without full review",
)
async def approve_retrospectively(
    document_id: Id, data: RetrospectiveApproval, user: Staff, runtime: RuntimeDep
) -> DocumentPublic:
    await review.approve_retrospectively(
        runtime.db(), outbox_of(runtime), document_id, data.comment, user
    )
    return await fresh(runtime, document_id)


@documents_router.post("/{document_id}/retry-publication", summary="Retry a failed publication")
async def retry_publication(document_id: Id, user: Admin, runtime: RuntimeDep) -> PublicationStatus:
    status_: PublicationStatus = await review.retry(
        runtime.settings, runtime.db(), runtime.temporal, document_id, user
    )
    return status_


@documents_router.get("/{document_id}/status", summary="Where the edition in progress stands")
async def workflow_status(document_id: Id, _: Staff, runtime: RuntimeDep) -> PublicationStatus:
    document = await documents.get_document(runtime.db(), document_id)
    edition = documents.current_edition(document)
    # A draft never submitted has no workflow to ask.
    found = None
    if edition.submitted_at is not None:
        found = await review.workflow_status(runtime.temporal, edition)
    if found is None:
        raise Problem(404, "No workflow", f"Edition {edition.number} has not been submitted.")
    return found


@documents_router.get("/{document_id}/audit", summary="Every decision and transition")
async def audit(document_id: Id, _: Staff, runtime: RuntimeDep) -> list[AuditEntryPublic]:
    entries = await documents.audit_trail(runtime.db(), document_id)
    return [AuditEntryPublic.model_validate(entry) for entry in entries]


@documents_router.post("/{document_id}/preview-links", summary="A signed, expiring preview link")
async def preview_link(document_id: Id, user: Staff, runtime: RuntimeDep) -> PreviewLink:
    document = await documents.get_document(runtime.db(), document_id)
    edition = documents.current_edition(document)
    async with runtime.db().session() as session:
        route, _default = await current_route(session, route_key(document, edition))
    refused = preview.refusal(user, document, edition, route)
    if refused is not None:
        raise Problem(403, "Not allowed", refused)
    settings = settings_of(runtime)
    token, expires = preview.issue(settings, document.id, edition.number)
    return PreviewLink(url=f"{settings.publishing_url}/preview/{token}", expires_at=expires)


tasks_router = claim_router(
    tag="tasks",
    gate=Staff,
    temporal=lambda runtime: runtime.temporal,
    summaries=("Claim a review step", "Release a claimed review step"),
    # Only a document's steps: another case's tasks are changed through their own service.
    owns=("document-",),
    not_ours="is not a step of a document's review",
)


def _edition(document_id: Id, number: Id) -> tuple[int, int]:
    return document_id, number


class _EditionCases:
    """What the publishing service does when an edition's publication workflow calls it."""

    async def case(self, runtime: Runtime, edition: tuple[int, int]) -> CaseInfo:
        return await lifecycle.case_info(runtime.db(), settings_of(runtime), *edition)

    async def transition(
        self, runtime: Runtime, edition: tuple[int, int], data: TransitionRequest, key: str | None
    ) -> TransitionResult:
        return await lifecycle.record_transition(
            runtime.db(), outbox_of(runtime), settings_of(runtime), *edition, data, key
        )

    async def notice(
        self, runtime: Runtime, edition: tuple[int, int], notice: TaskNotice, key: str | None
    ) -> None:
        await lifecycle.task_notice(runtime.db(), outbox_of(runtime), *edition, notice, key)


workflow_router = case_router(
    prefix="/documents/{document_id}/editions/{number}",
    ref=_edition,
    side=_EditionCases(),
    case=CaseInfo,
    transition=TransitionRequest,
    answer=TransitionResult,
    summaries={
        "case": "What the publication workflow needs to run",
        "transitions": "Record a transition of the route",
        "notices": "A step's reminder or escalation",
    },
)


@documents_router.post(
    "/{document_id}/digest-compiled",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="The digest workflow compiled a month into this press digest (internal)",
    tags=["workflow (internal)"],
)
async def digest_compiled(
    document_id: Id,
    data: DigestRecord,
    _: System,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> None:
    await lifecycle.record_digest(
        runtime.db(), outbox_of(runtime), document_id, data, idempotency_key
    )


@workflow_router.post(
    "/signed-original", summary="Sign the approved legal act as a PDF (PAdES), once"
)
async def signed_original(
    document_id: Id,
    number: Id,
    _: System,
    runtime: RuntimeDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> AttachmentPublic:
    settings = settings_of(runtime)
    attachment = await signed_originals.sign_edition(
        runtime.db(),
        settings,
        officials(request),
        request.app.state.signing_queue,
        document_id,
        number,
        idempotency_key,
    )
    document = await documents.get_document(runtime.db(), document_id)
    edition = documents.edition_of(document, number)
    fields = next(
        f for f in lifecycle.attachment_fields(settings, edition) if f["id"] == attachment.id
    )
    return AttachmentPublic(**fields)


@workflow_router.post("/publication", summary="Publish the approved edition (idempotent)")
async def publication(
    document_id: Id, number: Id, _: System, runtime: RuntimeDep, request: Request
) -> PublishedEdition:
    published = await lifecycle.publish(
        runtime.db(),
        outbox_of(runtime),
        settings_of(runtime),
        signing_key(request),
        document_id,
        number,
        await asyncio.to_thread(officials(request).trust_roots_pem),
    )
    # A page's review cycle and a time to take it down start with its publication.
    await keeping.after_publication(runtime, document_id)
    return published


admin_router = APIRouter(tags=["administration"])


@admin_router.get("/routes", summary="The approval route of every document type")
async def list_routes(_: Staff, runtime: RuntimeDep) -> list[RoutePublic]:
    routes = []
    async with runtime.db().session() as session:
        for document_type in RouteKey.__args__:  # type: ignore[attr-defined]
            steps, default = await current_route(session, document_type)
            stored = None if default else await session.get(ApprovalRoute, document_type)
            routes.append(
                RoutePublic(
                    document_type=document_type,
                    steps=steps,
                    default=default,
                    updated_by=stored.updated_by if stored else None,
                    updated_at=stored.updated_at if stored else None,
                )
            )
    return routes


@admin_router.put(
    "/routes/{document_type}",
    summary="Set a document type's approval route, or consolidated texts' (`consolidation`), "
    "with the reason kept on its audit trail",
)
async def set_route(
    document_type: RouteKey, data: RouteUpdate, user: Admin, runtime: RuntimeDep
) -> RoutePublic:
    settings = settings_of(runtime)
    refusal = route_refusal(
        document_type,
        data.steps,
        min_hours=settings.route_deadline_min_hours,
        max_hours=settings.route_deadline_max_hours,
    )
    if refusal is not None:
        raise Problem(422, "Route not allowed", refusal)
    moment = documents.now()
    steps = [step.model_dump(mode="json") for step in data.steps]
    async with runtime.db().transaction() as session:
        before, _default = await current_route(session, document_type)
        stored = await session.get(ApprovalRoute, document_type)
        if stored is None:
            stored = ApprovalRoute(document_type=document_type)
            session.add(stored)
        stored.steps = steps
        stored.updated_by = user.id
        stored.updated_at = moment
        session.add(
            RouteChange(
                document_type=document_type,
                at=moment,
                actor=user.id,
                reason=data.reason,
                steps_before=[step.model_dump(mode="json") for step in before],
                steps_after=steps,
            )
        )
    # Cases already under way keep the route they started with.
    return RoutePublic(
        document_type=document_type,
        steps=data.steps,
        default=False,
        updated_by=user.id,
        updated_at=moment,
    )


@admin_router.get("/route-changes", summary="Every change of an approval route, newest first")
async def list_route_changes(
    _: Admin,
    runtime: RuntimeDep,
    document_type: RouteKey | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[RouteChangePublic]:
    query = select(RouteChange).order_by(RouteChange.id.desc()).limit(limit)
    if document_type:
        query = query.where(RouteChange.document_type == document_type)
    async with runtime.db().session() as session:
        return [RouteChangePublic.model_validate(change) for change in await session.scalars(query)]


@admin_router.get("/issuers", summary="Officials who issue legal acts")
async def list_issuers(runtime: RuntimeDep) -> list[IssuerPublic]:
    async with runtime.db().session() as session:
        found = await session.scalars(select(Issuer).order_by(Issuer.code))
        return [IssuerPublic.model_validate(issuer) for issuer in found]


@admin_router.put("/issuers/{code}", summary="Add or rename an issuer")
async def put_issuer(
    code: Annotated[str, PathParam(pattern=r"^[a-z0-9_-]{2,40}$")],
    data: IssuerUpdate,
    _: Admin,
    runtime: RuntimeDep,
) -> IssuerPublic:
    async with runtime.db().transaction() as session:
        issuer = await session.get(Issuer, code)
        if issuer is None:
            issuer = Issuer(code=code)
            session.add(issuer)
        issuer.name_ka = data.name_ka
        issuer.name_en = data.name_en
    return IssuerPublic.model_validate(issuer)


public_router = APIRouter(tags=["public"])


@public_router.get("/register", summary="The register of legal acts' numbers")
async def register(
    runtime: RuntimeDep,
    issuer: str | None = None,
    document_type: DocumentType | None = None,
    year: Annotated[int | None, Query(ge=1990, le=2200)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
    offset: Offset = 0,
) -> list[RegisterEntry]:
    query = documents.register_query(limit, offset)
    if issuer:
        query = query.where(Document.issuer_code == issuer)
    if document_type:
        query = query.where(Document.document_type == document_type)
    if year:
        query = query.where(Document.register_year == year)
    query = query.order_by(
        Document.issuer_code,
        Document.document_type,
        Document.register_year,
        Document.register_sequence,
    )
    entries = []
    async with runtime.db().session() as session:
        for document in await session.scalars(query):
            edition = documents.public_edition(document) or documents.current_edition(document)
            assert document.register_sequence is not None and document.register_year is not None
            entries.append(
                RegisterEntry(
                    register_number=document.register_number or "",
                    document_id=document.id,
                    document_type=document.document_type,
                    issuer_code=document.issuer_code or "",
                    year=document.register_year,
                    sequence=document.register_sequence,
                    title_ka=edition.title_ka,
                    date_signed=edition.date_signed,
                    published_at=edition.published_at,
                    state=edition.state,
                )
            )
    return entries


@public_router.get(
    "/signing-key",
    summary="The municipality's public key that verifies publication records",
    response_class=Response,
    responses=sent_as(PEM),
)
async def public_signing_key(request: Request) -> Response:
    return Response(signing.public_key_pem(signing_key(request)), media_type=PEM)


@public_router.get(
    "/signing-ca",
    summary="The root certificates that validate the signed originals of legal acts",
    response_class=Response,
    responses=sent_as(PEM),
)
async def signing_ca(request: Request) -> Response:
    pem = await asyncio.to_thread(officials(request).trust_roots_pem)
    if not pem:
        raise Problem(404, "No signing CA", "No signing certificates are set here.")
    return Response(pem, media_type=PEM)


@public_router.get("/preview/{token}", response_class=HTMLResponse, include_in_schema=False)
async def show_preview(token: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    document_id, number = preview.read(settings_of(runtime), token)
    document = await documents.get_document(runtime.db(), document_id)
    edition = documents.edition_of(document, number)
    return templates.TemplateResponse(request, "preview.html", {"edition": edition})


ROUTERS = [documents_router, tasks_router, workflow_router, admin_router, public_router]
