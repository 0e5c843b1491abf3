"""Publishing's use cases: create a document, submit it, publish an edition.

The full edition model and approval routes grow here; today a submitted document is
published by its workflow at the requested time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from meria.auth import User
from meria.bus import Outbox
from meria.contracts import DocumentPublished, LocalizedText
from meria.db import Database
from meria.problems import Problem
from meria.temporal import KIND, REF, STAGE, SUBJECT
from services.publishing.models import Document
from services.publishing.schemas import DocumentCreate
from workflows.publication import DocumentPublicationWorkflow, PublicationInput

ALLOWED = {
    "draft": ("submitted",),
    "submitted": ("published",),
    "published": (),
}


def workflow_id(document: Document) -> str:
    return f"document-{document.id}-edition-{document.edition}"


def _refuse(document: Document, wanted: str) -> Problem:
    allowed = ALLOWED.get(document.state, ())
    return Problem(
        409,
        "Not allowed in this state",
        f"Document {document.id} is {document.state}; it cannot become {wanted}.",
        state=document.state,
        allowed=list(allowed),
    )


async def get_document(database: Database, document_id: int) -> Document:
    async with database.session() as session:
        document = await session.get(Document, document_id)
    if document is None:
        raise Problem(404, "No such document", f"There is no document {document_id}.")
    return document


async def list_documents(
    database: Database,
    *,
    state: str | None = None,
    document_type: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Document]:
    query = select(Document).order_by(Document.id.desc()).limit(limit).offset(offset)
    if state:
        query = query.where(Document.state == state)
    if document_type:
        query = query.where(Document.document_type == document_type)
    async with database.session() as session:
        return list(await session.scalars(query))


async def create_document(database: Database, data: DocumentCreate, author: User) -> Document:
    document = Document(
        **data.model_dump(),
        state="draft",
        edition=1,
        created_by=author.id,
        created_at=datetime.now(UTC),
    )
    async with database.transaction() as session:
        session.add(document)
    return document


async def submit_document(
    database: Database,
    temporal: Client,
    task_queue: str,
    document_id: int,
    publish_at: datetime | None,
) -> Document:
    async with database.transaction() as session:
        document = await session.get(Document, document_id, with_for_update=True)
        if document is None:
            raise Problem(404, "No such document", f"There is no document {document_id}.")
        if document.state == "submitted":
            return document
        if "submitted" not in ALLOWED.get(document.state, ()):
            raise _refuse(document, "submitted")
        # The workflow's id is the edition's, so a repeated submit finds the running one;
        # if this transaction then fails, the next submit reuses that workflow.
        await temporal.start_workflow(
            DocumentPublicationWorkflow.run,
            PublicationInput(
                document_id=document.id, edition=document.edition, publish_at=publish_at
            ),
            id=workflow_id(document),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(KIND, "document"),
                    SearchAttributePair(STAGE, "submitted"),
                    SearchAttributePair(REF, f"document:{document.id}"),
                    SearchAttributePair(SUBJECT, document.title_ka),
                ]
            ),
        )
        document.state = "submitted"
        document.submitted_at = datetime.now(UTC)
        document.publish_at = publish_at
    return document


async def publish_edition(
    database: Database, outbox: Outbox, document_id: int, edition: int
) -> Document:
    """Publish an edition; publishing it again answers the same and announces nothing."""
    async with database.transaction() as session:
        document = await session.get(Document, document_id, with_for_update=True)
        if document is None or document.edition != edition:
            raise Problem(
                404, "No such edition", f"Document {document_id} has no edition {edition}."
            )
        if document.state == "published":
            return document
        if "published" not in ALLOWED.get(document.state, ()):
            raise _refuse(document, "published")
        document.state = "published"
        document.published_at = datetime.now(UTC)
        await outbox.add(
            session,
            DocumentPublished(
                document_id=document.id,
                edition=document.edition,
                document_type=document.document_type,
                title=LocalizedText(ka=document.title_ka, en=document.title_en),
                summary_text=_localized(document.summary_ka, document.summary_en),
                body_html=_localized(document.body_ka, document.body_en),
                published_at=document.published_at,
            ),
            about=f"document:{document.id}",
        )
    return document


def _localized(ka: str | None, en: str | None) -> LocalizedText | None:
    return LocalizedText(ka=ka, en=en) if ka else None
