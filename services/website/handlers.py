"""What the website does with the events it subscribes to: the read model, the search
index and the list of files to fetch, all in the delivering transaction, which also
counts the read model's version up so that pages rendered before are rendered again."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from meria.bus import Delivery, Subscriptions
from meria.contracts import (
    DocumentEnteredIntoForce,
    DocumentPublished,
    DocumentReviewed,
    DocumentUnpublished,
    DocumentWithdrawn,
    EventCancelled,
    EventCompleted,
    EventFacts,
    EventPostponed,
    EventRescheduled,
    EventScheduled,
    EventUpdated,
)
from meria.markup import clean_html
from services.website.freshness import read_model_changed
from services.website.lifecycle import drop_changes_of, record_condition_met, record_publication
from services.website.models import PublicAttachment, PublicDocument, PublicEdition, PublicEvent
from services.website.search import index_document, unindex_document
from services.website.texts import SECTIONS

subscriptions = Subscriptions()
LEGAL_ACTS = SECTIONS["acts"]


@subscriptions.handler
async def show_published_document(event: DocumentPublished, delivery: Delivery) -> None:
    """A newer edition replaces the page; an older one arriving late changes nothing
    but the edition history, and a repeat of an edition since withdrawn or unpublished
    changes nothing at all.

    A legal act's edition keeps its own text (so the act can be shown as it stood on any
    day); the current one also brings the act's entry into force, consolidation day and
    what it does to earlier acts, replacing what the edition before said."""
    session = delivery.session
    await _record_edition(delivery, event)
    await read_model_changed(session)
    current = await session.get(PublicDocument, event.document_id)
    stale = current is not None and (
        current.edition > event.edition
        or (current.edition == event.edition and current.status != "published")
    )
    if event.document_type in LEGAL_ACTS:
        await record_publication(session, event, current=not stale)
    if stale:
        return
    if current is None:
        current = PublicDocument(
            document_id=event.document_id, first_published_at=event.published_at
        )
        session.add(current)
    current.edition = event.edition
    current.document_type = event.document_type
    current.status = "published"
    current.title_ka = event.title.ka
    current.title_en = event.title.en
    current.summary_ka = event.summary_text.ka if event.summary_text else None
    current.summary_en = event.summary_text.en if event.summary_text else None
    # Cleaned whatever the bus says: publishing cleaned it already, but the website trusts
    # no producer with its pages (clean HTML comes through unchanged, hash and all).
    current.body_html_ka = _clean(event.body_html.ka if event.body_html else None)
    current.body_html_en = _clean(event.body_html.en if event.body_html else None)
    current.translation_pending = event.translation_pending
    current.issuer_code = event.issuer.code if event.issuer else None
    current.issuer_name_ka = event.issuer.name.ka if event.issuer else None
    current.issuer_name_en = event.issuer.name.en if event.issuer else None
    current.register_number = event.register_number
    sequence, _, year = (event.register_number or "").partition("/")
    current.register_sequence = int(sequence) if sequence.isdigit() else None
    current.register_year = int(year) if year.isdigit() else None
    current.date_signed = event.date_signed
    current.external_registration_code = event.external_registration_code
    current.slug = event.slug
    current.nav_section = event.nav_section
    current.nav_order = event.nav_order
    current.published_at = event.published_at
    current.content_sha256 = event.content_sha256
    current.publication_record = event.publication_record
    current.signature = event.signature
    current.signing_key_pem = event.signing_key_pem
    current.force_published = event.force_published
    current.photos = [photo.model_dump() for photo in event.photos]
    current.video_url = event.video_url
    current.public_explanation = None
    current.redirect_url = None
    current.updated_at = datetime.now(UTC)
    await session.flush()
    await index_document(session, current)


def _clean(html: str | None) -> str | None:
    return None if html is None else clean_html(html)


async def _record_edition(delivery: Delivery, event: DocumentPublished) -> None:
    session = delivery.session
    known = await session.scalar(
        select(PublicEdition.id).where(
            PublicEdition.document_id == event.document_id, PublicEdition.edition == event.edition
        )
    )
    if known is not None:
        return
    session.add(
        PublicEdition(
            document_id=event.document_id,
            edition=event.edition,
            title_ka=event.title.ka,
            change_note=event.change_note,
            change_kind=event.change_kind,
            published_at=event.published_at,
            content_sha256=event.content_sha256,
            publication_record=event.publication_record,
            signature=event.signature,
            signing_key_pem=event.signing_key_pem,
            signing_ca_pem=event.signing_ca_pem,
        )
    )
    for attachment in event.attachments:
        session.add(
            PublicAttachment(
                attachment_id=attachment.id,
                document_id=event.document_id,
                edition=event.edition,
                filename=attachment.filename,
                media_type=attachment.media_type,
                size=attachment.size,
                sha256=attachment.sha256,
                source_url=attachment.url,
                signer_name=attachment.signer_name,
                signed_at=attachment.signed_at,
                fetch_attempts=0,
            )
        )


@subscriptions.handler
async def withdraw_document(event: DocumentWithdrawn, delivery: Delivery) -> None:
    """A withdrawn document keeps its page, with the public explanation on top; a
    withdrawn legal act no longer amends, repeals or suspends anything. A withdrawal of
    an edition no longer shown, or a repeated one, changes nothing."""
    if not event.was_published:
        return  # taken off its route before publication: the public never saw it
    current = await delivery.session.get(PublicDocument, event.document_id)
    if current is None or current.edition != event.edition:
        return
    # Counted first, as every handler does: the version's row is the one lock they all
    # take, so they take the others in its shadow and never wait on each other in a ring.
    await read_model_changed(delivery.session)
    current.status = "withdrawn"
    current.public_explanation = event.public_explanation
    current.updated_at = datetime.now(UTC)
    if current.document_type in LEGAL_ACTS:
        # A legal act withdrawn from currency no longer changes the acts it amended.
        await drop_changes_of(delivery.session, event.document_id)


@subscriptions.handler
async def unpublish_document(event: DocumentUnpublished, delivery: Delivery) -> None:
    """Published in error: the page answers 410 (or redirects) and leaves search, and a
    legal act's changes of other acts are undone. One for an edition no longer shown, or
    a repeated one, changes nothing."""
    current = await delivery.session.get(PublicDocument, event.document_id)
    if current is None or current.edition != event.edition:
        return
    await read_model_changed(delivery.session)  # first: see withdraw_document
    current.status = "unpublished"
    current.public_explanation = event.explanation
    current.redirect_url = event.redirect_url
    current.updated_at = datetime.now(UTC)
    if current.document_type in LEGAL_ACTS:
        await drop_changes_of(delivery.session, event.document_id)
    await unindex_document(delivery.session, event.document_id)


@subscriptions.handler
async def show_page_reviewed(event: DocumentReviewed, delivery: Delivery) -> None:
    """A standing page's owner reviewed it: the page says when. The latest review stands,
    so a repeated or late event changes nothing; one for a page not shown is dropped."""
    current = await delivery.session.get(PublicDocument, event.document_id)
    if current is None or current.status == "unpublished":
        return
    if current.last_reviewed_at is not None and current.last_reviewed_at >= event.reviewed_at:
        return
    await read_model_changed(delivery.session)  # first: see withdraw_document
    current.last_reviewed_at = event.reviewed_at
    current.updated_at = datetime.now(UTC)


@subscriptions.handler
async def record_entry_into_force(event: DocumentEnteredIntoForce, delivery: Delivery) -> None:
    """A legal act waiting on a condition entered into force on `in_force_on`: from that
    day it is in force, and so are its changes of other acts that name no day of their
    own. The earliest day recorded stands, so a repeated or late event changes nothing;
    one that comes before the act's publication is kept for it."""
    if event.document_type not in LEGAL_ACTS:
        return
    await read_model_changed(delivery.session)  # first: see withdraw_document
    await record_condition_met(delivery.session, event)


# The calendar: public events from the events service.


async def _show_event(fact: EventFacts, delivery: Delivery) -> None:
    """The calendar shows a public event as it is now. An event moved to a new date
    leaves (its successor comes as scheduled), and so does one made internal. The facts
    come on several subjects, so an older one arriving late changes nothing."""
    session = delivery.session
    current = await session.get(PublicEvent, fact.event_id)
    if current is not None and current.updated_at > fact.changed_at:
        return
    if not fact.public or fact.state == "rescheduled":
        if current is not None:
            await session.delete(current)
            await read_model_changed(session)
        return
    if current is None:
        current = PublicEvent(event_id=fact.event_id)
        session.add(current)
    current.title_ka, current.title_en = fact.title.ka, fact.title.en
    current.description_ka = fact.description.ka if fact.description else None
    current.description_en = fact.description.en if fact.description else None
    current.place_ka = fact.place.ka if fact.place else None
    current.place_en = fact.place.en if fact.place else None
    current.starts_at, current.ends_at = fact.starts_at, fact.ends_at
    current.status = fact.state
    current.kind = fact.kind
    current.photos = [photo.model_dump() for photo in fact.photos]
    current.video_url = fact.video_url
    current.updated_at = fact.changed_at
    await read_model_changed(session)


@subscriptions.handler
async def show_scheduled_event(event: EventScheduled, delivery: Delivery) -> None:
    await _show_event(event, delivery)


@subscriptions.handler
async def show_updated_event(event: EventUpdated, delivery: Delivery) -> None:
    await _show_event(event, delivery)


@subscriptions.handler
async def show_postponed_event(event: EventPostponed, delivery: Delivery) -> None:
    await _show_event(event, delivery)


@subscriptions.handler
async def show_rescheduled_event(event: EventRescheduled, delivery: Delivery) -> None:
    await _show_event(event, delivery)


@subscriptions.handler
async def show_cancelled_event(event: EventCancelled, delivery: Delivery) -> None:
    await _show_event(event, delivery)


@subscriptions.handler
async def show_completed_event(event: EventCompleted, delivery: Delivery) -> None:
    await _show_event(event, delivery)
