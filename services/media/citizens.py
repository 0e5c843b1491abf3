"""Citizens' subscriptions by e-mail: the municipality's news, its legal acts (by type) and
its public events, at once or in a daily digest.

The media service owns them because it owns the mailer: every message here is a mailing
of `services.media.distribution`, sent once per recipient with a stable Message-ID, as
press releases are. The website stays a read model of the bus, holding no addresses.

- Double opt-in: asking writes the address (or finds it) and queues one confirmation mail
  whose link carries, signed and dated, the topics and cadence asked for; nothing else is
  sent to the address until that link is followed. Whether an address is subscribed is
  never told: every request is answered alike, and the confirmation mails one address may
  receive are limited, so the form cannot be used to flood someone.
- Exactly once per subscriber and item: an item is recorded under a unique key in the
  transaction that handles its bus event, and its immediate mailing in the same
  transaction under the item's key; a daily digest and the subscriber's mark of what it
  has told them (`digest_through`) are written in one transaction, under a key naming
  that mark. A redelivered event, a second replica or a crash mid-way repeats nothing.
- One-click unsubscribe (RFC 8058): every message but the confirmation carries
  `List-Unsubscribe` and `List-Unsubscribe-Post` and a link; an unsubscription also
  stops what was already queued.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Literal
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from meria.bus import Outbox
from meria.db import Database, rows_in_pages
from meria.logging import get_logger
from meria.problems import Problem
from meria.runtime import Runtime
from meria.throttle import Rule, Throttle
from services.media.contacts import now
from services.media.distribution import CITIZEN_LINKS, Addressee, create_mailing
from services.media.models import Delivery, Mailing, Subscriber, SubscriptionItem
from services.media.settings import MediaSettings

log = get_logger(__name__)

TBILISI = ZoneInfo("Asia/Tbilisi")
Cadence = Literal["immediate", "daily"]
ACT_TYPES = ("mayor_order", "mayor_ordinance", "official_document")
NEWS_TYPES = ("news", "press_release", "announcement")
TOPICS = ("news", *(f"acts:{kind}" for kind in ACT_TYPES), "events")
# Where each kind of item is read on the website.
SECTIONS = {"news": "news", "press_release": "press-releases", "announcement": "announcements"}
# A digest names this many items at most; the rest wait for the next day's.
DIGEST_ITEMS = 50
CONFIRMATION = "subscription_confirmation"


def topic_of(document_type: str) -> str | None:
    if document_type in NEWS_TYPES:
        return "news"
    if document_type in ACT_TYPES:
        return f"acts:{document_type}"
    return None


# Signed links.


def _confirming(settings: MediaSettings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt="citizen-confirm")


@dataclass(frozen=True)
class Wish:
    """What a confirmation link confirms."""

    subscriber_id: int
    email: str
    topics: tuple[str, ...]
    cadence: Cadence
    language: str


def confirm_url(settings: MediaSettings, wish: Wish) -> str:
    token = _confirming(settings).dumps(
        [wish.subscriber_id, wish.email, list(wish.topics), wish.cadence, wish.language]
    )
    return f"{settings.public_base}/subscriptions/confirm/{token}"


def read_confirmation(settings: MediaSettings, token: str) -> Wish:
    try:
        found = _confirming(settings).loads(
            token, max_age=int(settings.subscription_confirm_hours * 3600)
        )
        subscriber_id, email, topics, cadence, language = found
    except SignatureExpired:
        raise Problem(
            410,
            "Link expired",
            "This confirmation link has expired; subscribe again to get a new one.",
        ) from None
    except (BadSignature, ValueError, TypeError):
        raise Problem(
            404, "Unknown link", "This link is not one of ours (or was cut short)."
        ) from None
    return Wish(int(subscriber_id), str(email), tuple(topics), cadence, str(language))


# Asking, confirming, leaving.


async def ask(
    runtime: Runtime,
    settings: MediaSettings,
    email: str,
    topics: Sequence[str],
    cadence: Cadence,
    language: str,
) -> None:
    """Someone asks for these topics at this address: a confirmation mail goes to it,
    unless the address has had as many as it may lately. The answer is the same either
    way, and the same whether or not the address is subscribed already."""
    address = email.strip().lower()
    throttle = Throttle(runtime.db())
    rule = Rule.of("subscription-mail", settings.subscription_mail_limits)
    if await throttle.wait([(rule, address)]):
        log.info("media.subscription_confirmation_held")
        return
    await throttle.count([(rule, address)])
    assert runtime.outbox is not None
    async with runtime.db().transaction() as session:
        subscriber = await session.scalar(select(Subscriber).where(Subscriber.email == address))
        if subscriber is None:
            subscriber = Subscriber(
                email=address, language=language, topics=[], cadence=cadence, created_at=now()
            )
            session.add(subscriber)
            await session.flush()
        wish = Wish(subscriber.id, address, tuple(topics), cadence, language)
        link = confirm_url(settings, wish)
        words = _confirmation_words(wish)
        mailing = Mailing(
            kind=CONFIRMATION,
            key=f"confirm:{subscriber.id}:{secrets.token_hex(8)}",
            subject_ka=words["subject_ka"],
            subject_en=words["subject_en"],
            text_ka=words["text_ka"],
            text_en=words["text_en"],
            link=link,
            unsubscribable=False,
        )
        await create_mailing(
            session, runtime.outbox, settings, mailing,
            [Addressee(address, "", language, None, subscriber_id=subscriber.id)],
        )  # fmt: skip


TOPIC_NAMES = {
    "news": ("სიახლეები, პრესრელიზები და განცხადებები", "news, press releases and announcements"),
    "acts:mayor_order": ("მერის ბრძანებები", "the mayor's orders"),
    "acts:mayor_ordinance": ("მერის განკარგულებები", "the mayor's ordinances"),
    "acts:official_document": ("ოფიციალური დოკუმენტები", "official documents"),
    "events": ("საჯარო ღონისძიებები", "public events"),
}
CADENCE_NAMES = {
    "immediate": ("გამოქვეყნებისთანავე", "as soon as they are published"),
    "daily": ("დღეში ერთხელ, დილით", "once a day, in the morning"),
}


def _confirmation_words(wish: Wish) -> dict[str, str]:
    topics_ka = ", ".join(TOPIC_NAMES[topic][0] for topic in wish.topics)
    topics_en = ", ".join(TOPIC_NAMES[topic][1] for topic in wish.topics)
    return {
        "subject_ka": "დაადასტურეთ გამოწერა",
        "subject_en": "Confirm your subscription",
        "text_ka": f"ვიღაცამ (იმედია, თქვენ) ამ მისამართზე გამოიწერა: {topics_ka} — "
        f"{CADENCE_NAMES[wish.cadence][0]}. გამოწერის დასადასტურებლად გახსენით ბმული. "
        "თუ ეს თქვენ არ ყოფილხართ, უბრალოდ ნუ გახსნით მას: მეტს არაფერს მიიღებთ.",
        "text_en": f"Someone (we hope you) subscribed this address to {topics_en}, "
        f"{CADENCE_NAMES[wish.cadence][1]}. Open the link to confirm. If it was not you, "
        "leave it: you will receive nothing more.",
    }


async def confirm(database: Database, settings: MediaSettings, token: str) -> Subscriber:
    """The link was followed: the topics and cadence it carries are the subscriber's from
    now on, and what was published before is not sent to them."""
    wish = read_confirmation(settings, token)
    async with database.transaction() as session:
        subscriber = await session.get(Subscriber, wish.subscriber_id)
        if subscriber is None or subscriber.email != wish.email:
            raise Problem(404, "Unknown link", "This link is not one of ours (or was cut short).")
        newest = await session.scalar(select(func.max(SubscriptionItem.id)))
        subscriber.topics = list(wish.topics)
        subscriber.cadence = wish.cadence
        subscriber.language = wish.language
        subscriber.confirmed_at = now()
        subscriber.unsubscribed_at = None
        subscriber.digest_through = max(subscriber.digest_through, newest or 0)
    return subscriber


async def unsubscribe(database: Database, settings: MediaSettings, token: str) -> None:
    """One click: nothing more to this address, queued mail included. Twice is once."""
    subscriber_id, email = CITIZEN_LINKS.read(settings, token)
    async with database.transaction() as session:
        subscriber = await session.get(Subscriber, subscriber_id)
        if subscriber is not None and subscriber.email == email:
            subscriber.unsubscribed_at = subscriber.unsubscribed_at or now()


async def erase(database: Database, subscriber_id: int) -> Subscriber:
    """The address is forgotten at its owner's request: on the subscription and on every
    message it was sent, and nothing more goes to it (its links no longer match)."""
    async with database.transaction() as session:
        subscriber = await session.get(Subscriber, subscriber_id)
        if subscriber is None:
            raise Problem(404, "No such subscriber", f"There is no subscriber {subscriber_id}.")
        erased = f"erased-{subscriber.id}@erased.invalid"
        subscriber.email = erased
        subscriber.topics = []
        subscriber.unsubscribed_at = subscriber.unsubscribed_at or now()
        await session.execute(
            update(Delivery).where(Delivery.subscriber_id == subscriber.id).values(email=erased)
        )
    return subscriber


# Telling subscribers.


@dataclass(frozen=True)
class Item:
    key: str
    topic: str
    title: tuple[str, str | None]
    summary: tuple[str | None, str | None]
    link: str


async def tell(session: AsyncSession, outbox: Outbox, settings: MediaSettings, item: Item) -> None:
    """Record an item once and, in the same transaction, mail it to the subscribers who
    want its topic at once. An item already recorded changes nothing."""
    found = await session.scalar(
        select(SubscriptionItem.id).where(SubscriptionItem.key == item.key)
    )
    if found is not None:
        return
    recorded = SubscriptionItem(
        key=item.key, topic=item.topic, title_ka=item.title[0][:500],
        title_en=item.title[1][:500] if item.title[1] else None,
        summary_ka=item.summary[0], summary_en=item.summary[1], link=item.link,
        recorded_at=now(),
    )  # fmt: skip
    session.add(recorded)
    await session.flush()
    recipients = await _reached(session, "immediate", item.topic)
    if not recipients:
        return
    mailing = Mailing(
        kind="subscription",
        key=f"subscription:{item.key}",
        subject_ka=item.title[0][:500],
        subject_en=item.title[1][:500] if item.title[1] else None,
        text_ka=item.summary[0] or "",
        text_en=item.summary[1],
        link=item.link,
        unsubscribable=True,
    )
    await create_mailing(session, outbox, settings, mailing, recipients)


async def _reached(session: AsyncSession, cadence: str, topic: str) -> list[Addressee]:
    """The confirmed subscribers of a cadence who want this topic, read a page at a time
    along their index."""
    rows = await rows_in_pages(
        session,
        select(Subscriber.id, Subscriber.email, Subscriber.language, Subscriber.topics)
        .where(
            Subscriber.cadence == cadence,
            Subscriber.confirmed_at.is_not(None),
            Subscriber.unsubscribed_at.is_(None),
        )
        .order_by(Subscriber.id),
    )
    return [
        Addressee(row.email, "", row.language, None, subscriber_id=row.id)
        for row in rows
        if topic in row.topics
    ]


def document_item(
    settings: MediaSettings,
    document_id: int,
    edition: int,
    document_type: str,
    title: tuple[str, str | None],
    summary: tuple[str | None, str | None],
) -> Item | None:
    topic = topic_of(document_type)
    if topic is None:
        return None
    section = "acts" if topic.startswith("acts:") else SECTIONS[document_type]
    link = f"{settings.website_url.rstrip('/')}/{section}/{document_id}"
    return Item(f"document:{document_id}:{edition}", topic, title, summary, link)


def event_item(
    settings: MediaSettings,
    event_id: int,
    starts_at: datetime,
    title: tuple[str, str | None],
    place: tuple[str | None, str | None],
) -> Item:
    local = starts_at.astimezone(TBILISI)
    when = local.strftime("%d.%m.%Y %H:%M")
    summary = (
        " · ".join(part for part in (when, place[0]) if part),
        " · ".join(part for part in (when, place[1] or place[0]) if part),
    )
    link = f"{settings.website_url.rstrip('/')}/calendar?month={local:%Y-%m}"
    return Item(f"event:{event_id}", "events", title, summary, link)


# Daily digests.


async def send_digests(database: Database, outbox: Outbox, settings: MediaSettings) -> int:
    """Queue today's digest for each daily subscriber due one (from `digest_hour`,
    Tbilisi, once a day) with something new in their topics; how many were queued. A day
    with nothing new for someone leaves their day unspent: what comes later that day goes
    in a digest the same day."""
    moment = now()
    local = moment.astimezone(TBILISI)
    if local.hour < settings.digest_hour:
        return 0
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    async with database.session() as session:
        due = [
            row.id
            for row in await rows_in_pages(
                session,
                select(Subscriber.id)
                .where(
                    Subscriber.cadence == "daily",
                    Subscriber.confirmed_at.is_not(None),
                    Subscriber.unsubscribed_at.is_(None),
                    Subscriber.last_digest_at.is_(None) | (Subscriber.last_digest_at < day_start),
                )
                .order_by(Subscriber.id),
            )
        ]
    queued = 0
    for subscriber_id in due:
        try:
            queued += await _digest(database, outbox, settings, subscriber_id, moment)
        except IntegrityError:  # another replica queued it in the same instant
            continue
        await asyncio.sleep(0)
    return queued


async def _digest(
    database: Database,
    outbox: Outbox,
    settings: MediaSettings,
    subscriber_id: int,
    moment: datetime,
) -> int:
    async with database.transaction() as session:
        subscriber = await session.get(Subscriber, subscriber_id)
        if subscriber is None or subscriber.unsubscribed_at or subscriber.cadence != "daily":
            return 0
        newest = await session.scalar(select(func.max(SubscriptionItem.id))) or 0
        items = list(
            await session.scalars(
                select(SubscriptionItem)
                .where(
                    SubscriptionItem.id > subscriber.digest_through,
                    SubscriptionItem.id <= newest,
                    SubscriptionItem.topic.in_(subscriber.topics),
                )
                .order_by(SubscriptionItem.id)
                .limit(DIGEST_ITEMS)
            )
        )
        # Past what was looked at, matched or not; the day is spent only by a digest sent.
        subscriber.digest_through = items[-1].id if len(items) == DIGEST_ITEMS else newest
        if not items:
            return 0
        through = subscriber.digest_through
        subscriber.last_digest_at = moment
        day = moment.astimezone(TBILISI).strftime("%d.%m.%Y")
        mailing = Mailing(
            kind="subscription_digest",
            key=f"digest:{subscriber.id}:{through}",
            subject_ka=f"მერიის სიახლეები — {day}",
            subject_en=f"News from the City Hall — {day}",
            text_ka="\n\n".join(f"{i.title_ka}\n{i.summary_ka or ''}\n{i.link}" for i in items),
            text_en="\n\n".join(
                f"{i.title_en or i.title_ka}\n{i.summary_en or i.summary_ka or ''}\n{i.link}"
                for i in items
            ),
            html_ka=_digest_html(items, "ka"),
            html_en=_digest_html(items, "en"),
            unsubscribable=True,
        )
        recipient = Addressee(subscriber.email, "", subscriber.language, None, subscriber.id)
        await create_mailing(session, outbox, settings, mailing, [recipient])
    return 1


def _digest_html(items: Sequence[SubscriptionItem], language: str) -> str:
    rows = []
    for item in items:
        title = (item.title_en if language == "en" else None) or item.title_ka
        summary = (item.summary_en if language == "en" else None) or item.summary_ka or ""
        rows.append(
            f'<li><a href="{escape(item.link)}">{escape(title)}</a>'
            f"{'<br>' + escape(summary) if summary else ''}</li>"
        )
    return f"<ul>{''.join(rows)}</ul>"


async def keep_sending_digests(runtime: Runtime) -> None:
    """The daily digests, looked for every `digest_poll_seconds`."""
    settings = runtime.settings
    assert isinstance(settings, MediaSettings) and runtime.outbox is not None
    while True:
        try:
            queued = await send_digests(runtime.db(), runtime.outbox, settings)
            if queued:
                log.info("media.digests_queued", count=queued)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("media.digests_failed", error=str(error))
        await asyncio.sleep(settings.digest_poll_seconds)
