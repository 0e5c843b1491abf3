"""`meria website rebuild`: the read model again, from nothing but the streams.

Every event the website subscribes to is read back from its stream, oldest first, and
applied by the same handlers through the same inbox, into a database emptied first (or
a fresh one given by URL). The result is the same pages: that is what makes the website
a read model and not a second source of truth.

Streams are kept for ever, so one bad message published once by anyone would otherwise
stop every rebuild after it: a message that cannot be applied (malformed, an unknown
type, a handler that fails on it) is recorded as a dead letter with its stream and
sequence, for an administrator to look at (GET /dead-letters), and the replay goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nats.js.errors import NotFoundError
from sqlalchemy import delete, text

from meria.bus import Bus, Consumer, DeadLetter
from meria.bus.streams import stream_for_subject
from meria.bus.tables import record_dead_letter
from meria.config import ReaderSettings, load_settings
from meria.db import Database, migrate
from meria.logging import get_logger
from services.website.app import PARTS
from services.website.freshness import read_model_changed
from services.website.handlers import subscriptions
from services.website.models import (
    ActChange,
    ActEntry,
    ActVersion,
    PublicAttachment,
    PublicDocument,
    PublicEdition,
    PublicEvent,
    SearchEntry,
    bus_tables,
)
from services.website.settings import WebsiteSettings
from services.website.site import SITE_TABLES, default_sections

log = get_logger(__name__)
READ_MODEL = (
    PublicAttachment,
    PublicEdition,
    SearchEntry,
    PublicDocument,
    PublicEvent,
    ActChange,
    ActVersion,
    ActEntry,
    *SITE_TABLES,
)


async def empty(database: Database, consumers: list[Consumer]) -> None:
    async with database.transaction() as session:
        if database.is_sqlite:
            await session.execute(text("DELETE FROM search_fts"))
        for table in READ_MODEL:
            await session.execute(delete(table))
        inbox = bus_tables.inbox
        await session.execute(
            delete(inbox).where(inbox.c.consumer.in_([c.durable for c in consumers]))
        )
        # The sections a site has before an administrator changes them; the replay of
        # the navigation's events replaces them.
        await default_sections(session)
        # A website running on this database drops its pages; the replay counts on.
        await read_model_changed(session)


@dataclass
class Rebuilt:
    applied: int = 0
    skipped: int = 0


async def rebuild(settings: WebsiteSettings, database_url: str | None = None) -> Rebuilt:
    """Replay the streams into the read model; says how many events were applied and how
    many were skipped as dead letters."""
    database = Database(database_url or settings.database_url)
    assert PARTS.migrations is not None
    await migrate(database, PARTS.migrations, PARTS.metadata)  # type: ignore[arg-type]
    # The streams are read as the read-only NATS user: a rebuild changes nothing on the bus.
    reader = load_settings(ReaderSettings)
    bus = Bus(settings.nats_url, "meria-website-rebuild", reader.bus_credentials())
    await bus.connect(max_backoff=2.0)
    consumers = [
        Consumer("website", subscription, database=database, tables=bus_tables, bus=bus)
        for subscription in subscriptions.items
    ]
    by_subject = {consumer.subscription.subject: consumer for consumer in consumers}
    done = Rebuilt()
    try:
        await empty(database, consumers)
        for stream in sorted({stream_for_subject(subject) for subject in by_subject}):
            try:
                info = await bus.js.stream_info(stream)
            except NotFoundError:  # its service never published anything
                continue
            for sequence in range(info.state.first_seq, info.state.last_seq + 1):
                try:
                    message = await bus.js.get_msg(stream, sequence)
                except Exception:  # a deleted message leaves a gap in the sequence
                    continue
                consumer = by_subject.get(message.subject or "")
                if consumer is None or message.data is None:
                    continue
                headers = {key: str(value) for key, value in (message.headers or {}).items()}
                try:
                    if await consumer.apply_stored(message.subject or "", message.data, headers):
                        done.applied += 1
                except Exception as error:
                    await skip(database, consumer, stream, sequence, message, headers, error)
                    done.skipped += 1
    finally:
        await bus.close()
        await database.dispose()
    log.info("website.rebuilt", events=done.applied, skipped=done.skipped)
    return done


async def skip(
    database: Database,
    consumer: Consumer,
    stream: str,
    sequence: int,
    message: Any,
    headers: dict[str, str],
    error: Exception,
) -> None:
    """Record a message the replay cannot apply as the consumer's dead letter."""
    kind = error.kind if isinstance(error, DeadLetter) else "handler_failed"
    reason = str(error) if isinstance(error, DeadLetter) else f"replay: {error!r}"
    log.warning(
        "website.rebuild_skipped", stream=stream, sequence=sequence, kind=kind, reason=reason
    )
    async with database.transaction() as session:
        await record_dead_letter(
            session,
            bus_tables.dead_letters,
            consumer=consumer.durable,
            stream=stream,
            stream_sequence=sequence,
            subject=message.subject or "",
            kind=kind,
            reason=reason,
            deliveries=1,
            payload=message.data,
            headers=headers,
        )
