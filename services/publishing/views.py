"""How documents look through the API: table models in, public models out."""

from __future__ import annotations

from services.publishing import acts
from services.publishing.documents import current_edition, public_edition
from services.publishing.lifecycle import attachment_fields
from services.publishing.models import Document, Edition
from services.publishing.schemas import (
    AttachmentPublic,
    ChangedBy,
    DocumentPublic,
    EditionPublic,
    EditionSummary,
    IssuerPublic,
)
from services.publishing.settings import PublishingSettings
from services.publishing.states import State, allowed_actions


def edition_view(
    document: Document, edition: Edition, settings: PublishingSettings
) -> EditionPublic:
    return EditionPublic(
        number=edition.number,
        state=edition.state,
        revision=edition.revision,
        title_ka=edition.title_ka,
        title_en=edition.title_en,
        summary_ka=edition.summary_ka,
        summary_en=edition.summary_en,
        body_ka=edition.body_ka,
        body_en=edition.body_en,
        translation_pending=edition.translation_pending,
        photos=edition.photos or [],
        video_url=edition.video_url,
        change_note=edition.change_note,
        change_kind=edition.change_kind,
        publish_at=edition.publish_at,
        created_by=edition.created_by,
        created_at=edition.created_at,
        updated_at=edition.updated_at,
        submitted_by=edition.submitted_by,
        submitted_at=edition.submitted_at,
        approved_at=edition.approved_at,
        date_signed=edition.date_signed,
        published_at=edition.published_at,
        force_published=edition.force_published,
        review_pending_roles=list(edition.review_pending_roles),
        content_sha256=edition.content_sha256,
        publication_record=edition.publication_record,
        signature=edition.signature,
        public_explanation=edition.public_explanation,
        redirect_url=edition.redirect_url,
        workflow_id=edition.workflow_id,
        attachments=[AttachmentPublic(**fields) for fields in attachment_fields(settings, edition)],
        allowed_actions=[action.value for action in allowed_actions(State(edition.state))],
        entry_into_force=acts.terms_of(document, edition),
        changes=acts.changes_view(edition),
        consolidated_as_of=edition.consolidated_as_of,
        incorporates=list(edition.incorporates or []),
    )


def document_view(
    document: Document, settings: PublishingSettings, changed_by: list[ChangedBy] | None = None
) -> DocumentPublic:
    """The document; `changed_by`, the published acts that change it, read beside it
    (`acts.changed_by`, for a page of documents at once)."""
    current = current_edition(document)
    published = public_edition(document)
    return DocumentPublic(
        id=document.id,
        document_type=document.document_type,
        state=current.state,
        issuer_code=document.issuer_code,
        issuer=IssuerPublic.model_validate(document.issuer) if document.issuer else None,
        slug=document.slug,
        nav_section=document.nav_section,
        nav_order=document.nav_order,
        register_number=document.register_number,
        register_year=document.register_year,
        external_registration_code=document.external_registration_code,
        created_by=document.created_by,
        created_at=document.created_at,
        title_ka=current.title_ka,
        title_en=current.title_en,
        current=edition_view(document, current, settings),
        published_edition=published.number if published else None,
        editions=[
            EditionSummary(
                number=e.number,
                state=e.state,
                change_note=e.change_note,
                change_kind=e.change_kind,
                published_at=e.published_at,
                consolidated_as_of=e.consolidated_as_of,
            )
            for e in document.editions
        ],
        changed_by=changed_by or [],
        in_force_on=acts.in_force_on(document),
        owner=document.owner,
        review_every_months=document.review_every_months,
        next_review_at=document.next_review_at,
        last_reviewed_at=document.last_reviewed_at,
        reviewed_by=document.reviewed_by,
        unpublish_at=document.unpublish_at,
        unpublish_reason=document.unpublish_reason,
    )
