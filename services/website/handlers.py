"""What the website does with the events it subscribes to."""

from __future__ import annotations

from meria.bus import Delivery, Subscriptions
from meria.contracts import DocumentPublished
from services.website.models import PublishedDocument

subscriptions = Subscriptions()


@subscriptions.handler
async def show_published_document(event: DocumentPublished, delivery: Delivery) -> None:
    """A newer edition replaces the page; an older one arriving late changes nothing."""
    current = await delivery.session.get(PublishedDocument, event.document_id)
    if current is not None and current.edition > event.edition:
        return
    if current is None:
        current = PublishedDocument(document_id=event.document_id)
        delivery.session.add(current)
    current.edition = event.edition
    current.document_type = event.document_type
    current.title_ka = event.title.ka
    current.title_en = event.title.en
    current.summary_ka = event.summary_text.ka if event.summary_text else None
    current.summary_en = event.summary_text.en if event.summary_text else None
    current.body_html_ka = event.body_html.ka if event.body_html else None
    current.body_html_en = event.body_html.en if event.body_html else None
    current.published_at = event.published_at
    current.event_id = delivery.envelope.id
