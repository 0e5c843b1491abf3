"""What staff do to an edition on its way to publication, and after it.

Actions on an edition in its workflow (decide, resubmit, withdraw, force, retry, edit in
review) are Temporal Updates sent with the verified user; the workflow's validators say
who may, and their refusal comes back as a 409 with the validator's message. Actions
after publication (withdraw with a public explanation, unpublish, approve
retrospectively) change the service's own records directly.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from meria.auth import User, sign_receipt
from meria.bus import Outbox
from meria.cases import case_ref
from meria.cases.documents import (
    FORCE_PUBLISH,
    PUBLICATION,
    RESTART_REVIEW,
    RESUBMIT,
    RETRY,
    STATUS,
    WITHDRAW,
    Actor,
    PublicationInput,
    PublicationStatus,
    Reasoned,
    Restart,
)
from meria.cases.tasks import DECIDE, TaskDecision, TaskResult
from meria.config import Settings
from meria.contracts import (
    DocumentEnteredIntoForce,
    DocumentStepApproved,
    DocumentSubmitted,
    DocumentUnpublished,
    DocumentWithdrawn,
    LocalizedText,
)
from meria.db import Database
from meria.problems import Problem
from meria.temporal import KIND, REF, STAGE, SUBJECT, query_status, send_update
from services.publishing import acts
from services.publishing.acts import is_legal_act
from services.publishing.documents import (
    apply,
    apply_edit,
    case_facts,
    load,
    now,
    public_edition,
    require_working,
    today_in_tbilisi,
)
from services.publishing.models import AuditEntry, Document, Edition
from services.publishing.schemas import (
    DecisionRequest,
    DocumentUpdate,
    EntryIntoForceRecord,
    SubmitRequest,
    UnpublishRequest,
    WithdrawRequest,
)
from services.publishing.signed_originals import SIGNATURE_STEP, Officials
from services.publishing.states import Action, State

ON_ITS_WAY = {
    State.SUBMITTED,
    State.IN_REVIEW,
    State.CHANGES_REQUESTED,
    State.APPROVED,
    State.SCHEDULED,
    State.FAILED_TO_PUBLISH,
}


def actor(settings: Settings, user: User, edition: Edition, act: str) -> Actor:
    """The verified user for an Update, with this service's signed receipt of `act`, which
    comes back with the transition the workflow records (services/publishing/lifecycle.py)."""
    receipt = sign_receipt(settings, user, edition.workflow_id, act)
    return Actor(user=user.id, roles=sorted(user.roles), receipt=receipt)


def reasoned(settings: Settings, user: User, edition: Edition, act: str, reason: str) -> Reasoned:
    receipt = sign_receipt(settings, user, edition.workflow_id, act)
    return Reasoned(user=user.id, roles=sorted(user.roles), reason=reason, receipt=receipt)


async def workflow_status(temporal: Client, edition: Edition) -> PublicationStatus | None:
    status: PublicationStatus | None = await query_status(temporal, edition.workflow_id, STATUS)
    return status


async def submit(
    database: Database,
    temporal: Client,
    outbox: Outbox,
    task_queue: str,
    document_id: int,
    request: SubmitRequest,
    user: User,
) -> Document:
    async with database.transaction() as session:
        document = await load(session, document_id, lock=True)
        edition = require_working(document)
        if request.publish_at is not None:
            edition.publish_at = request.publish_at
        apply(session, document, edition, Action.SUBMIT, user.id)
        edition.submitted_by = user.id
        edition.submitted_at = now()
        # The workflow starts inside the transaction: if it cannot start, nothing is
        # submitted; if the commit then fails, the next submit finds the running workflow.
        await temporal.start_workflow(
            PUBLICATION,
            PublicationInput(document_id=document.id, edition=edition.number),
            id=edition.workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(KIND, "document"),
                    SearchAttributePair(STAGE, "submitted"),
                    SearchAttributePair(REF, case_ref("document", document.id)),
                    SearchAttributePair(SUBJECT, edition.title_ka),
                ]
            ),
        )
        await outbox.add(
            session,
            DocumentSubmitted(
                document_id=document.id,
                edition=edition.number,
                document_type=document.document_type,
                title=LocalizedText(ka=edition.title_ka, en=edition.title_en),
                submitted_by=user.id,
                publish_at=edition.publish_at,
            ),
            about=f"document:{document.id}",
        )
    return document


async def edit(
    settings: Settings,
    database: Database,
    temporal: Client,
    document_id: int,
    data: DocumentUpdate,
    user: User,
) -> Document:
    """Change the edition in progress; in review, the approvals so far are dismissed."""
    async with database.transaction() as session:
        document = await load(session, document_id, lock=True)
        edition = require_working(document)
        state = State(edition.state)
        in_review = state in (State.SUBMITTED, State.IN_REVIEW)
        if in_review and not data.reason:
            raise Problem(
                422,
                "The request is not valid",
                "reason: say why the document changes while in review; its approvals so far "
                "will be dismissed",
            )
        if state not in (State.DRAFT, State.CHANGES_REQUESTED) and not in_review:
            raise Problem(
                409,
                "Not editable now",
                f"The edition is {state.value}; withdraw it to change it.",
                state=state.value,
            )
        changed = apply_edit(edition, data)
        changed += await acts.edit_terms(session, document, edition, data)
        if not changed:
            return document
        edition.revision += 1
        apply(
            session,
            document,
            edition,
            Action.EDIT,
            user.id,
            comment=data.reason,
            details={
                "fields": changed,
                "revision": edition.revision,
                "approvals_dismissed": in_review,
            },
        )
        if in_review:
            # Inside the transaction: if the workflow refuses, the edit does not happen.
            await send_update(
                temporal,
                edition.workflow_id,
                RESTART_REVIEW,
                Restart(
                    user=user.id,
                    roles=sorted(user.roles),
                    reason=data.reason or "",
                    revision=edition.revision,
                    receipt=sign_receipt(settings, user, edition.workflow_id, "restart"),
                ),
            )
    return document


async def decide(
    settings: Settings,
    database: Database,
    temporal: Client,
    document_id: int,
    request: DecisionRequest,
    user: User,
    officials: Officials | None = None,
) -> TaskResult:
    async with database.session() as session:
        document = await load(session, document_id)
        edition = require_working(document)
    if edition.state != State.IN_REVIEW:
        raise Problem(
            409,
            "Not in review",
            f"The edition is {edition.state}; there is nothing to decide.",
            state=edition.state,
        )
    status = await workflow_status(temporal, edition)
    if status is None or not status.tasks:
        raise Problem(409, "Nothing to decide", "No step of this document is open right now.")
    if request.task_id:
        task = next((t for t in status.tasks if t.task_id == request.task_id), None)
        if task is None:
            raise Problem(409, "No longer open", f"Task {request.task_id} is not open.")
    else:
        mine = [t for t in status.tasks if t.assignee == user.id]
        mine += [t for t in status.tasks if not t.assignee and set(t.awaiting) & user.roles]
        task = mine[0] if mine else status.tasks[0]
    if officials is not None and request.outcome == "approve" and task.step == SIGNATURE_STEP:
        await _ready_to_sign(officials, document, user)
    decision = TaskDecision(
        user=user.id,
        roles=sorted(user.roles),
        outcome=request.outcome,
        comment=request.comment,
        revision=request.revision or edition.revision,
        receipt=sign_receipt(settings, user, edition.workflow_id, request.outcome, step=task.step),
    )
    result: TaskResult = await send_update(temporal, task.task_id, DECIDE, decision)
    return result


async def _ready_to_sign(officials: Officials, document: Document, user: User) -> None:
    """The mayor's approval of a legal act is their signature: refused before it is given
    when they have no key to sign with; in development their test certificate is made now,
    in their name."""
    if not is_legal_act(document):
        return
    refusal = officials.refusal(user.id)
    if refusal is not None:
        raise Problem(409, "Cannot sign", refusal)
    if user.id not in officials.settings.signers:
        await asyncio.to_thread(officials.source, user.id, user.name or user.id)


async def _working_on_its_way(database: Database, document_id: int) -> Edition | None:
    async with database.session() as session:
        document = await load(session, document_id)
        edition = next((e for e in document.editions if State(e.state) in ON_ITS_WAY), None)
    return edition


async def resubmit(
    settings: Settings, database: Database, temporal: Client, document_id: int, user: User
) -> Any:
    edition = await _working_on_its_way(database, document_id)
    if edition is None or edition.state != State.CHANGES_REQUESTED:
        raise Problem(409, "Nothing to resubmit", "No changes were requested on this document.")
    return await send_update(
        temporal,
        edition.workflow_id,
        RESUBMIT,
        actor(settings, user, edition, "resubmit"),
    )


async def force_publish(
    settings: Settings,
    database: Database,
    temporal: Client,
    document_id: int,
    reason: str,
    user: User,
) -> Any:
    async with database.session() as session:
        document = await load(session, document_id)
    if is_legal_act(document):
        raise Problem(
            409,
            "A legal act needs the mayor's signature",
            "A legal act is published only once the mayor has signed it; publication "
            "without full review is for press material, news and pages.",
            document_type=document.document_type,
        )
    edition = await _working_on_its_way(database, document_id)
    if edition is None:
        raise Problem(409, "Nothing to publish", "No edition of this document is in review.")
    return await send_update(
        temporal,
        edition.workflow_id,
        FORCE_PUBLISH,
        reasoned(settings, user, edition, "force", reason),
    )


async def retry(
    settings: Settings, database: Database, temporal: Client, document_id: int, user: User
) -> Any:
    edition = await _working_on_its_way(database, document_id)
    if edition is None or edition.state != State.FAILED_TO_PUBLISH:
        raise Problem(409, "Nothing to retry", "No publication of this document has failed.")
    return await send_update(
        temporal,
        edition.workflow_id,
        RETRY,
        actor(settings, user, edition, "retry"),
    )


async def withdraw(
    settings: Settings,
    database: Database,
    temporal: Client,
    outbox: Outbox,
    document_id: int,
    request: WithdrawRequest,
    user: User,
    *,
    route_only: bool = False,
) -> Any:
    """Before publication: off the route, back to its author. After: out of currency, the
    page staying with the public explanation on top (never for `route_only`, a case)."""
    on_its_way = await _working_on_its_way(database, document_id)
    if on_its_way is not None:
        return await send_update(
            temporal,
            on_its_way.workflow_id,
            WITHDRAW,
            reasoned(settings, user, on_its_way, "withdraw", request.reason),
        )
    if route_only:
        raise Problem(409, "Not on its way", "This document is not on its way to publication.")
    if not user.has_any("editor", "head_of_department", "admin"):
        raise Problem(
            403, "Not allowed", "This needs one of the roles: editor, head_of_department."
        )
    if not request.public_explanation:
        raise Problem(
            422,
            "The request is not valid",
            "public_explanation: a published document is withdrawn with an explanation "
            "for the public",
        )
    async with database.transaction() as session:
        document = await load(session, document_id, lock=True)
        edition = public_edition(document)
        if edition is None or edition.state != State.PUBLISHED:
            raise Problem(409, "Nothing to withdraw", "This document is not published.")
        apply(session, document, edition, Action.WITHDRAW, user.id, comment=request.reason)
        edition.public_explanation = request.public_explanation
        await outbox.add(
            session,
            DocumentWithdrawn(
                document_id=document.id,
                edition=edition.number,
                document_type=document.document_type,
                was_published=True,
                public_explanation=request.public_explanation,
            ),
            about=f"document:{document.id}",
        )
    return None


async def unpublish(
    database: Database, outbox: Outbox, document_id: int, request: UnpublishRequest, user: User
) -> Document:
    async with database.transaction() as session:
        document = await load(session, document_id, lock=True)
        edition = public_edition(document)
        if edition is None:
            raise Problem(409, "Nothing to unpublish", "This document is not public.")
        apply(session, document, edition, Action.UNPUBLISH, user.id, comment=request.reason)
        edition.public_explanation = request.reason
        edition.redirect_url = str(request.redirect_url) if request.redirect_url else None
        await outbox.add(
            session,
            DocumentUnpublished(
                document_id=document.id,
                edition=edition.number,
                document_type=document.document_type,
                explanation=request.reason,
                redirect_url=edition.redirect_url,
            ),
            about=f"document:{document.id}",
        )
    return document


async def approve_retrospectively(
    database: Database, outbox: Outbox, document_id: int, comment: str | None, user: User
) -> Document:
    """A role skipped by a forced publication approves the published edition afterwards."""
    async with database.transaction() as session:
        document = await load(session, document_id, lock=True)
        edition = public_edition(document)
        if edition is None or not edition.review_pending_roles:
            raise Problem(409, "Nothing to approve", "This document had its full review.")
        if user.id == edition.created_by:
            raise Problem(409, "Refused", "The author cannot approve their own document.")
        roles = [role for role in edition.review_pending_roles if role in user.roles]
        if not roles:
            raise Problem(
                403,
                "Not allowed",
                f"The review still waits on: {', '.join(edition.review_pending_roles)}.",
            )
        edition.review_pending_roles = [r for r in edition.review_pending_roles if r not in roles]
        session.add(
            AuditEntry(
                document_id=document.id,
                edition_number=edition.number,
                at=now(),
                actor=user.id,
                action="approve_retrospectively",
                from_state=edition.state,
                to_state=edition.state,
                comment=comment,
                details={"roles": roles, "still_pending": edition.review_pending_roles},
            )
        )
        for role in roles:
            await outbox.add(
                session,
                DocumentStepApproved(
                    document_id=document.id,
                    edition=edition.number,
                    document_type=document.document_type,
                    step=role,
                    decided_by=user.id,
                    retrospective=True,
                    **case_facts(edition),
                ),
                about=f"document:{document.id}",
            )
    return document


async def record_entry_into_force(
    database: Database, outbox: Outbox, document_id: int, data: EntryIntoForceRecord, user: User
) -> Document:
    """A legal reviewer records the day the condition a published act waited on was met:
    once, kept on the act's trail, told on the bus."""
    async with database.transaction() as session:
        document = await load(session, document_id, lock=True)
        edition = _waiting_on_its_condition(document)
        if document.condition_met_on is not None:
            raise Problem(
                409,
                "Already in force",
                f"Document {document_id} entered into force on "
                f"{document.condition_met_on.isoformat()}; that day is recorded once.",
                in_force_on=document.condition_met_on.isoformat(),
            )
        _check_condition_day(document, data)
        document.condition_met_on = data.on
        session.add(
            AuditEntry(
                document_id=document.id,
                edition_number=edition.number,
                at=now(),
                actor=user.id,
                action="enter_into_force",
                from_state=edition.state,
                to_state=edition.state,
                comment=data.note,
                details={"in_force_on": data.on.isoformat()},
            )
        )
        await outbox.add(
            session,
            DocumentEnteredIntoForce(
                document_id=document.id,
                edition=edition.number,
                document_type=document.document_type,
                in_force_on=data.on,
                recorded_by=user.id,
            ),
            about=f"document:{document.id}",
        )
    return document


def _waiting_on_its_condition(document: Document) -> Edition:
    """The published edition of an act that enters into force on a condition."""
    if not is_legal_act(document):
        raise Problem(
            409,
            "Not a legal act",
            f"Document {document.id} is a {document.document_type}; only a legal act enters "
            "into force.",
        )
    edition = acts.in_currency(document)
    if edition is None:
        raise Problem(409, "Not published", f"Document {document.id} has no edition in force.")
    terms = acts.terms_of(document, edition)
    if terms is None or terms.kind != "condition":
        when = terms.on.isoformat() if terms and terms.on else "its publication"
        raise Problem(
            409,
            "Not waiting on a condition",
            f"Document {document.id} enters into force on {when}; only the day an act's "
            "condition was met is recorded.",
        )
    return edition


def _check_condition_day(document: Document, data: EntryIntoForceRecord) -> None:
    """An act enters into force no earlier than its publication, and a condition is
    recorded as met once it has been."""
    first = acts.first_publication(document)
    published_on = first.astimezone(acts.TBILISI).date() if first else None
    if published_on is not None and data.on < published_on:
        raise Problem(
            422,
            "Before its publication",
            f"An act enters into force no earlier than its publication "
            f"({published_on.isoformat()}), not on {data.on.isoformat()}.",
        )
    if data.on > today_in_tbilisi():
        raise Problem(
            422,
            "Not met yet",
            f"{data.on.isoformat()} is still to come; record the day a condition was met once "
            "it has been.",
        )
