"""Where the publication workflow's activities land: the case, transitions, the register
number, publication itself, and the reminders and escalations of review steps.

Every call carries an idempotency key (the activity's own), so a retried activity finds
what its first attempt did instead of doing it twice.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client import Histogram
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from meria import municipality
from meria.auth import InvalidToken, verify_receipt
from meria.bus import Outbox
from meria.cases import TaskNotice
from meria.cases.documents import CaseInfo, PublishedEdition, TransitionRequest, TransitionResult
from meria.contracts import (
    ActChange,
    AttachmentRef,
    DigestCompiled,
    DocumentApproved,
    DocumentChangesRequested,
    DocumentEscalated,
    DocumentPublicationFailed,
    DocumentPublished,
    DocumentRejected,
    DocumentReminderDue,
    DocumentScheduled,
    DocumentStepApproved,
    DocumentWithdrawn,
    EntryIntoForce,
    Event,
    Issuer,
    LocalizedText,
)
from meria.db import Database
from meria.keys import service_subject
from meria.pictures import photo_refs
from meria.problems import Problem
from meria.signatures import edition_content
from services.publishing import acts, signed_originals, signing
from services.publishing.acts import is_legal_act
from services.publishing.attachments import file_digest
from services.publishing.documents import (
    apply,
    case_facts,
    edition_of,
    load,
    now,
    public_edition,
    today_in_tbilisi,
)
from services.publishing.models import AuditEntry, Document, Edition, RegisterCounter
from services.publishing.routes import current_route, route_key
from services.publishing.schemas import CONSOLIDATION, DigestRecord
from services.publishing.settings import PublishingSettings
from services.publishing.states import Action, State

# From the moment an edition may be published (its approval, or its publication time if
# later) to its publication: what the public waits beyond what the department decided.
PUBLICATION_LATENCY = Histogram(
    "meria_publication_latency_seconds",
    "From an edition's approval or publication time, whichever is later, to its publication",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600),
)


RECORD_FIELDS = ("document_id", "edition", "document_type", "issuer", "register_number",
                 "date_signed")  # fmt: skip
# Publication has an endpoint of its own; the rest of the route arrives as transitions.
RECORDED_BY_WORKFLOW = set(Action) - {Action.PUBLISH, Action.SUPERSEDE, Action.EDIT,
                                      Action.SUBMIT, Action.DELETE, Action.UNPUBLISH}  # fmt: skip


async def case_info(
    database: Database, settings: PublishingSettings, document_id: int, number: int
) -> CaseInfo:
    async with database.session() as session:
        document = await load(session, document_id)
        edition = edition_of(document, number)
        steps, _ = await current_route(session, route_key(document, edition))
    return CaseInfo(
        document_id=document.id,
        edition=edition.number,
        document_type=document.document_type,
        subject=edition.title_ka,
        author=edition.created_by,
        revision=edition.revision,
        state=edition.state,
        steps=steps,
        is_legal_act=is_legal_act(document),
        # A consolidated text states the act its official signed; it is not signed again.
        signed_by_official=edition.change_kind != CONSOLIDATION,
        publish_at=edition.publish_at,
        publish_attempts=settings.publish_attempts,
        publish_retry_seconds=settings.publish_retry_seconds,
    )


async def _already_done(session: AsyncSession, key: str | None) -> bool:
    if key is None:
        return False
    found = await session.scalar(select(AuditEntry.id).where(AuditEntry.idempotency_key == key))
    return found is not None


WORKER_ACTOR = service_subject("worker")
# What a person does to an edition in its workflow, by the act their receipt names
# (services/publishing/review.py signs them); the workflow does the rest itself.
BY_A_PERSON = {
    Action.APPROVE_STEP: "approve",
    Action.REQUEST_CHANGES: "request_changes",
    Action.REJECT: "reject",
    Action.RESTART_REVIEW: "restart",
    Action.WITHDRAW: "withdraw",
    Action.FORCE_PUBLISH: "force",
    Action.RESUBMIT: "resubmit",
    Action.RETRY: "retry",
}
STEP_DECISIONS = (Action.APPROVE_STEP, Action.REQUEST_CHANGES, Action.REJECT)


def acting(
    settings: PublishingSettings, edition: Edition, action: Action, request: TransitionRequest
) -> str:
    """Who did it: the person in this service's own receipt of their act, or the worker."""
    act = BY_A_PERSON.get(action)
    if act is None:
        if request.receipt is not None:
            raise Problem(422, "Not a person's act", f"{action.value} is the workflow's own.")
        return WORKER_ACTOR
    if request.receipt is None:
        raise Problem(422, "Receipt required", f"{action.value} names no verified person.")
    try:
        record = verify_receipt(settings, request.receipt, case=edition.workflow_id)
    except InvalidToken as error:
        raise Problem(422, "Receipt refused", str(error)) from None
    if record.act != act or (action in STEP_DECISIONS and record.step != request.step):
        raise Problem(
            422,
            "Receipt refused",
            f"The receipt records {record.act!r} at {record.step!r}, not {action.value} at "
            f"{request.step!r}.",
        )
    return record.user


async def record_transition(
    database: Database,
    outbox: Outbox,
    settings: PublishingSettings,
    document_id: int,
    number: int,
    request: TransitionRequest,
    idempotency_key: str | None,
) -> TransitionResult:
    try:
        action = Action(request.action)
    except ValueError:
        raise Problem(422, "Unknown action", f"{request.action!r} is not a transition.") from None
    if action not in RECORDED_BY_WORKFLOW:
        raise Problem(422, "Not a workflow transition", f"{action.value} has its own endpoint.")
    async with database.transaction() as session:
        document = await load(session, document_id, lock=True)
        edition = edition_of(document, number)
        actor = acting(settings, edition, action, request)
        if not await _already_done(session, idempotency_key):
            entry = apply(
                session,
                document,
                edition,
                action,
                actor,
                step=request.step,
                comment=request.comment,
                details=request.details,
                idempotency_key=idempotency_key,
            )
            if action in (Action.APPROVE, Action.FORCE_PUBLISH):
                await _number(session, document, edition)
                entry.details = {**entry.details, "register_number": document.register_number}
            if action in (Action.WITHDRAW, Action.REJECT):
                await signed_originals.discard(session, edition)
            event = _consequences(document, edition, action, request, actor)
            if event is not None:
                await outbox.add(session, event, about=f"document:{document.id}")
    return TransitionResult(
        state=edition.state,
        revision=edition.revision,
        publish_at=edition.publish_at,
        register_number=document.register_number,
    )


def _consequences(
    document: Document, edition: Edition, action: Action, request: TransitionRequest, actor: str
) -> Event | None:
    """Apply what a transition implies beyond the state, and name the event it makes."""
    ids: dict[str, Any] = {
        "document_id": document.id,
        "edition": edition.number,
        "document_type": document.document_type,
    }
    details = request.details
    case = {**ids, **case_facts(edition)}
    if action is Action.APPROVE_STEP:
        return DocumentStepApproved(**case, step=request.step or "", decided_by=actor)
    if action is Action.REQUEST_CHANGES:
        return DocumentChangesRequested(**case, step=request.step or "", decided_by=actor)
    if action is Action.REJECT:
        edition.submitted_at = None
        return DocumentRejected(**case, step=request.step or "", decided_by=actor)
    if action is Action.RESUBMIT:
        edition.submitted_at = now()
        return None
    if action in (Action.APPROVE, Action.FORCE_PUBLISH):
        edition.approved_at = now()
        forced = action is Action.FORCE_PUBLISH
        skipped = list(details.get("skipped_roles", [])) if forced else []
        edition.force_published = forced
        edition.review_pending_roles = skipped
        return DocumentApproved(
            **case,
            register_number=document.register_number,
            forced=forced,
            skipped_roles=skipped,
        )
    if action is Action.SCHEDULE:
        assert edition.publish_at is not None
        return DocumentScheduled(**ids, publish_at=edition.publish_at)
    if action is Action.PUBLICATION_FAILED:
        return DocumentPublicationFailed(**case, error=str(details.get("error", ""))[:2000])
    if action is Action.WITHDRAW:
        return DocumentWithdrawn(**ids, was_published=False)
    return None


async def _number(session: AsyncSession, document: Document, edition: Edition) -> None:
    """The register number at final approval: next in the issuer's register of the type
    and year; never reused and never skipped, because it is taken in the same transaction
    that records the approval (a rolled-back transaction gives its number back). A new
    edition of a numbered act keeps the act's number."""
    if not is_legal_act(document):
        return
    if edition.date_signed is None:
        edition.date_signed = today_in_tbilisi()
    if document.register_number is None:
        assert document.issuer_code is not None
        year = edition.date_signed.year
        sequence = await _next_in_register(session, document, year)
        document.register_sequence = sequence
        document.register_year = year
        document.register_number = f"{sequence}/{year}"


async def _next_in_register(session: AsyncSession, document: Document, year: int) -> int:
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(RegisterCounter)
        .values(
            issuer_code=document.issuer_code,
            document_type=document.document_type,
            year=year,
            last_number=1,
        )
        .on_conflict_do_update(
            index_elements=["issuer_code", "document_type", "year"],
            set_={"last_number": RegisterCounter.last_number + 1},
        )
        .returning(RegisterCounter.last_number)
    )
    return int((await session.execute(statement)).scalar_one())


def _digest_if_present(path: Path) -> str | None:
    return file_digest(path) if path.exists() else None


def rendering(document: Document, edition: Edition) -> dict[str, Any]:
    """The canonical content of an edition that its SHA-256 is taken over."""
    return edition_content(
        document_id=document.id,
        edition=edition.number,
        document_type=document.document_type,
        issuer=document.issuer_code,
        register_number=document.register_number,
        date_signed=edition.date_signed.isoformat() if edition.date_signed else None,
        external_registration_code=document.external_registration_code,
        title=(edition.title_ka, edition.title_en),
        summary=(edition.summary_ka, edition.summary_en),
        body=(edition.body_ka, edition.body_en),
        translation_pending=edition.translation_pending,
        change_note=edition.change_note,
        attachments=[
            {"filename": a.filename, "media_type": a.media_type, "size": a.size, "sha256": a.sha256}
            for a in edition.attachments
        ],
    )


async def _check_files(settings: PublishingSettings, edition: Edition) -> None:
    folder: Path = settings.attachments_dir  # type: ignore[assignment]
    for attachment in edition.attachments:
        path = folder / attachment.stored_name
        digest = await asyncio.to_thread(_digest_if_present, path)
        if digest != attachment.sha256:
            # Server-side trouble, so 503: the workflow retries, then reports the failure.
            raise Problem(
                503,
                "Attachment unavailable",
                f"The file of attachment {attachment.id} ({attachment.filename}) is "
                + ("missing." if digest is None else "not the file that was approved."),
            )


async def publish(
    database: Database,
    outbox: Outbox,
    settings: PublishingSettings,
    key: Ed25519PrivateKey,
    document_id: int,
    number: int,
    trust_roots_pem: str | None = None,
) -> PublishedEdition:
    """Publish an approved edition: hash, sign, supersede the previous one, announce."""
    async with database.session() as session:
        edition = edition_of(await load(session, document_id), number)
    if edition.state not in (State.PUBLISHED, State.WITHDRAWN, State.SUPERSEDED):
        await _check_files(settings, edition)
    async with database.transaction() as session:
        document = await load(session, document_id, lock=True)
        edition = edition_of(document, number)
        if edition.published_at is not None and edition.content_sha256 is not None:
            return _published(edition)
        previous = public_edition(document)
        edition.published_at = datetime.now(UTC)
        due = max(filter(None, (edition.approved_at, edition.publish_at)), default=None)
        content = rendering(document, edition)
        content_sha256 = signing.sha256_hex(signing.canonical_json(content))
        # The record names the act as its register does, and the hash binds it to its text.
        record = {key: content[key] for key in RECORD_FIELDS} | {
            "municipality": municipality.current().city_hall("en"),
            "published_at": edition.published_at.isoformat(),
            "content_sha256": content_sha256,
        }
        edition.content_sha256 = content_sha256
        edition.publication_record = record
        edition.signature = signing.sign(key, record)
        if previous is not None:
            apply(session, document, previous, Action.SUPERSEDE, "meria-worker")
        apply(session, document, edition, Action.PUBLISH, "meria-worker")
        await outbox.add(
            session,
            published_event(
                document,
                edition,
                settings,
                previous,
                signing.public_key_pem(key),
                trust_roots_pem if signed_originals.signed_original(edition) else None,
            ),
            about=f"document:{document.id}",
        )
    if due is not None:
        PUBLICATION_LATENCY.observe(max(0.0, (edition.published_at - due).total_seconds()))
    return _published(edition)


def _published(edition: Edition) -> PublishedEdition:
    assert edition.published_at is not None and edition.content_sha256 is not None
    return PublishedEdition(
        document_id=edition.document_id,
        edition=edition.number,
        published_at=edition.published_at,
        content_sha256=edition.content_sha256,
    )


def attachment_url(settings: PublishingSettings, edition: Edition, attachment_id: int) -> str:
    return (
        f"{settings.publishing_url}/documents/{edition.document_id}/editions/"
        f"{edition.number}/attachments/{attachment_id}"
    )


def attachment_fields(settings: PublishingSettings, edition: Edition) -> list[dict[str, Any]]:
    return [
        {
            "id": a.id,
            "filename": a.filename,
            "media_type": a.media_type,
            "size": a.size,
            "sha256": a.sha256,
            "url": attachment_url(settings, edition, a.id),
            "signer_name": a.signer_name,
            "signed_at": a.signed_at,
        }
        for a in edition.attachments
    ]


def published_event(
    document: Document,
    edition: Edition,
    settings: PublishingSettings,
    previous: Edition | None,
    signing_key_pem: str,
    signing_ca_pem: str | None = None,
) -> DocumentPublished:
    assert edition.published_at is not None
    issuer = document.issuer
    return DocumentPublished(
        document_id=document.id,
        edition=edition.number,
        document_type=document.document_type,
        **case_facts(edition),
        summary_text=LocalizedText(ka=edition.summary_ka, en=edition.summary_en)
        if edition.summary_ka
        else None,
        body_html=LocalizedText(ka=edition.body_ka, en=edition.body_en)
        if edition.body_ka
        else None,
        translation_pending=edition.translation_pending,
        photos=photo_refs(edition.photos or []),
        video_url=edition.video_url,
        published_at=edition.published_at,
        requested_publish_at=edition.publish_at,
        issuer=Issuer(code=issuer.code, name=LocalizedText(ka=issuer.name_ka, en=issuer.name_en))
        if issuer
        else None,
        register_number=document.register_number,
        date_signed=edition.date_signed,
        external_registration_code=document.external_registration_code,
        change_note=edition.change_note,
        change_kind=edition.change_kind,
        supersedes_edition=previous.number if previous else None,
        slug=document.slug,
        nav_section=document.nav_section,
        nav_order=document.nav_order,
        attachments=[AttachmentRef(**fields) for fields in attachment_fields(settings, edition)],
        content_sha256=edition.content_sha256,
        publication_record=edition.publication_record,
        signature=edition.signature,
        signing_key_pem=signing_key_pem,
        signing_ca_pem=signing_ca_pem or None,
        force_published=edition.force_published,
        review_pending_roles=list(edition.review_pending_roles),
        **act_facts(document, edition),
    )


def act_facts(document: Document, edition: Edition) -> dict[str, Any]:
    """What a legal act's edition says of its force: when it enters into force, what it
    does to earlier acts, and for a consolidated text its day and the acts it applies."""
    terms = acts.terms_of(document, edition)
    if terms is None:
        return {}
    condition = (
        LocalizedText(ka=terms.condition_ka, en=terms.condition_en) if terms.condition_ka else None
    )
    return {
        "entry_into_force": EntryIntoForce(kind=terms.kind, on=terms.on, condition=condition),
        "changes": [
            ActChange(
                kind=change.kind,
                target_document_id=change.target_document_id,
                target_register_number=change.target_register_number or "",
                target_document_type=change.target_document_type,
                articles=list(change.articles),
                effective_on=change.effective_on,
            )
            for change in edition.changes
        ],
        "consolidated_as_of": edition.consolidated_as_of,
        "incorporates": list(edition.incorporates or []),
    }


async def task_notice(
    database: Database,
    outbox: Outbox,
    document_id: int,
    number: int,
    notice: TaskNotice,
    idempotency_key: str | None,
) -> None:
    """A review step's reminder or escalation becomes an event and an audit entry."""
    async with database.transaction() as session:
        document = await load(session, document_id, lock=True)
        edition = edition_of(document, number)
        if await _already_done(session, idempotency_key):
            return
        session.add(
            AuditEntry(
                document_id=document.id,
                edition_number=edition.number,
                at=now(),
                actor="meria-worker",
                action="reminder_due" if notice.kind == "reminder" else "escalated",
                from_state=edition.state,
                to_state=edition.state,
                step=notice.step,
                details={"task_id": notice.task_id, "awaiting": notice.awaiting},
                idempotency_key=idempotency_key,
            )
        )
        ids: dict[str, Any] = {
            "document_id": document.id,
            "edition": edition.number,
            "document_type": document.document_type,
            "task_id": notice.task_id,
            "step": notice.step,
            "awaiting": notice.awaiting,
            "due_at": notice.due_at,
            **case_facts(edition),
        }
        event: Event = (
            DocumentReminderDue(**ids) if notice.kind == "reminder" else DocumentEscalated(**ids)
        )
        await outbox.add(session, event, about=f"document:{document.id}")


async def record_digest(
    database: Database,
    outbox: Outbox,
    document_id: int,
    compiled: DigestRecord,
    idempotency_key: str | None,
) -> None:
    """The digest workflow says it compiled a month into this document: on its audit
    trail, and `publishing.digest.compiled` on the bus, once."""
    async with database.transaction() as session:
        document = await load(session, document_id, lock=True)
        if document.document_type != "press_digest":
            raise Problem(
                409, "Not a digest", f"Document {document_id} is a {document.document_type}."
            )
        if await _already_done(session, idempotency_key):
            return
        edition = max(document.editions, key=lambda e: e.number)
        state = edition.state
        session.add(
            AuditEntry(
                document_id=document.id,
                edition_number=edition.number,
                at=datetime.now(UTC),
                actor=compiled.requested_by or "meria-worker",
                action="digest_compiled",
                from_state=state,
                to_state=state,
                details={"month": compiled.month, "entries": compiled.entries},
                idempotency_key=idempotency_key,
            )
        )
        await outbox.add(
            session,
            DigestCompiled(
                document_id=document.id,
                month=compiled.month,
                entries=compiled.entries,
                requested_by=compiled.requested_by,
            ),
            about=f"document:{document.id}",
        )
