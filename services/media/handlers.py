"""What the media service does with the events it subscribes to: a published press release
or media advisory becomes a mailing to its distribution lists, and a published news item,
legal act or public event an item for the citizens subscribed to it, each written in the
delivering transaction, so it is sent exactly once however often it is delivered."""

from __future__ import annotations

from meria.bus import Delivery, Subscriptions
from meria.contracts import DocumentPublished, EventScheduled
from meria.logging import get_logger
from services.media.citizens import document_item, event_item, tell
from services.media.distribution import release_for
from services.media.settings import MediaSettings

log = get_logger(__name__)

subscriptions = Subscriptions()


@subscriptions.handler
async def distribute_release(event: DocumentPublished, delivery: Delivery) -> None:
    settings = delivery.settings
    assert isinstance(settings, MediaSettings) and delivery.outbox is not None
    if event.document_type not in settings.distributed_types:
        return
    # A correction (a minor new edition) is not sent again; a new major edition is news.
    if event.edition > 1 and event.change_kind != "major":
        return
    mailing, created = await release_for(
        delivery.session,
        delivery.outbox,
        settings,
        document_id=event.document_id,
        edition=event.edition,
        document_type=event.document_type,
        title=(event.title.ka, event.title.en),
        summary=(
            event.summary_text.ka if event.summary_text else None,
            event.summary_text.en if event.summary_text else None,
        ),
        body_html=(
            event.body_html.ka if event.body_html else None,
            event.body_html.en if event.body_html else None,
        ),
    )
    if created:
        log.info("media.release_queued", document_id=event.document_id, mailing_id=mailing.id)


@subscriptions.handler
async def tell_subscribers_of_document(event: DocumentPublished, delivery: Delivery) -> None:
    """A published news item, press release, announcement or legal act reaches the
    citizens subscribed to it (at once, or in their next digest); a correction (a minor new
    edition) does not. Once per edition, however often the event is delivered."""
    settings = delivery.settings
    assert isinstance(settings, MediaSettings) and delivery.outbox is not None
    if event.edition > 1 and event.change_kind != "major":
        return
    item = document_item(
        settings,
        event.document_id,
        event.edition,
        event.document_type,
        (event.title.ka, event.title.en),
        (
            event.summary_text.ka if event.summary_text else None,
            event.summary_text.en if event.summary_text else None,
        ),
    )
    if item is not None:
        await tell(delivery.session, delivery.outbox, settings, item)


@subscriptions.handler
async def tell_subscribers_of_event(event: EventScheduled, delivery: Delivery) -> None:
    """A public event announced reaches the citizens subscribed to events; an internal one
    never does. Once per event, however often it is delivered."""
    settings = delivery.settings
    assert isinstance(settings, MediaSettings) and delivery.outbox is not None
    if not event.public:
        return
    place = (event.place.ka, event.place.en) if event.place else (None, None)
    item = event_item(
        settings, event.event_id, event.starts_at, (event.title.ka, event.title.en), place
    )
    await tell(delivery.session, delivery.outbox, settings, item)
