"""Press distribution: mailings to many recipients, sent through SMTP once per recipient.

A mailing and one delivery row per recipient are written in one transaction (for a
release, the transaction that handles the publication event). The sender takes due
deliveries one at a time over one SMTP connection and marks each "sent" in its own
transaction as soon as the server has accepted it. So a crash can repeat only the one
message the server accepted in the instant before it, and the copy carries the same
Message-ID — stable per (release, recipient) — so mail clients show it once. A
temporary refusal (4xx) is tried again later, a permanent one (5xx) is a bounce kept on
the delivery and on the journalist's record. Every release carries a signed one-click
unsubscribe link (RFC 8058).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from typing import cast

import aiosmtplib
from itsdangerous import BadSignature, URLSafeSerializer
from markdownify import markdownify
from prometheus_client import Counter
from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from meria import municipality
from meria.bus import Outbox
from meria.contracts import DistributionSent
from meria.db import Database
from meria.logging import get_logger
from meria.mail import SMTP_TROUBLE, Refusal, refusal_of
from meria.problems import Problem
from meria.runtime import Runtime
from meria.singleton import one_replica
from services.media.contacts import load_journalist, note, now
from services.media.lists import Reachable, batches, breathe, reached_by, refresh_journalists
from services.media.models import Delivery, DistributionList, Journalist, Mailing, Subscriber
from services.media.settings import MediaSettings

log = get_logger(__name__)

DELIVERIES = Counter(
    "meria_media_deliveries_total", "Press distribution messages by outcome", ["outcome"]
)  # sent | deferred | bounced | failed | suppressed | unsubscribed
PENDING = ("pending", "deferred")
SETTLED = ("sent", "bounced", "failed", "suppressed", "unsubscribed")
BATCH = 200
# Deliveries written per statement when a mailing is made, as plain rows (the ORM's
# bookkeeping for thousands of objects is the costly part).
DELIVERY_BATCH = 250
DELIVERIES_TABLE = cast(Table, Delivery.__table__)
LONGEST_RETRY_SECONDS = 6 * 3600.0
SECTIONS = {"press_release": "press-releases", "announcement": "announcements"}
DEPARTMENT_KA = "საზოგადოებასთან ურთიერთობისა და საერთაშორისო პროექტების განყოფილება"
DEPARTMENT_EN = "Public Relations and International Projects Department"


def signature() -> str:
    """The mail's last lines: the city hall and the department, in both languages."""
    place = municipality.current()
    return (
        f"—\n{place.city_hall('ka')} · {DEPARTMENT_KA}\n{place.city_hall('en')} · {DEPARTMENT_EN}\n"
    )


@dataclass(frozen=True)
class Addressee:
    email: str
    name: str
    language: str
    journalist_id: int | None
    # A citizen's subscription (services/media/citizens.py), in place of a journalist.
    subscriber_id: int | None = None


def addressee(journalist: Journalist | Reachable) -> Addressee:
    assert journalist.email
    language = "ka" if "ka" in journalist.languages or not journalist.languages else "en"
    return Addressee(journalist.email, journalist.full_name, language, journalist.id)


def domain_of(mail_from: str) -> str:
    return parseaddr(mail_from)[1].rpartition("@")[2] or "meria.localhost"


def message_id(mailing: Mailing, recipient: Addressee, domain: str) -> str:
    """The same for every attempt at one recipient of one mailing: a resent copy is a
    duplicate the recipient's mail client recognises."""
    who = (
        f"j{recipient.journalist_id}"
        if recipient.journalist_id
        else f"s{recipient.subscriber_id}"
        if recipient.subscriber_id
        else recipient.email
    )
    who = "".join(c if c.isalnum() or c in ".-" else "." for c in who)
    if mailing.kind == "release" and mailing.document_id:
        return f"<release-{mailing.document_id}.{mailing.edition}-{who}@{domain}>"
    return f"<{mailing.kind.replace('_', '-')}-{mailing.id}-{who}@{domain}>"


async def create_mailing(
    session: AsyncSession,
    outbox: Outbox,
    settings: MediaSettings,
    mailing: Mailing,
    recipients: Sequence[Addressee],
) -> tuple[Mailing, bool]:
    """Write a mailing and its deliveries, or find the one with the same key; True when new."""
    existing = await session.scalar(select(Mailing).where(Mailing.key == mailing.key))
    if existing is not None:
        return existing, False
    mailing.created_at = now()
    session.add(mailing)
    await session.flush()
    domain = domain_of(settings.sender)
    moment = now()
    seen: set[str] = set()
    # Thousands of recipients are written a batch at a time, the loop free between them.
    for batch in batches(recipients, DELIVERY_BATCH):
        rows = []
        for recipient in batch:
            if recipient.email in seen:
                continue
            seen.add(recipient.email)
            rows.append(
                {
                    "mailing_id": mailing.id,
                    "journalist_id": recipient.journalist_id,
                    "subscriber_id": recipient.subscriber_id,
                    "email": recipient.email,
                    "name": recipient.name,
                    "language": recipient.language,
                    "message_id": message_id(mailing, recipient, domain),
                    "status": "pending",
                    "attempts": 0,
                    "updated_at": moment,
                }
            )
        if rows:
            await session.execute(insert(DELIVERIES_TABLE), rows)
        await breathe()
    if not seen:
        await _complete(session, outbox, mailing)
    return mailing, True


async def release_for(
    session: AsyncSession,
    outbox: Outbox,
    settings: MediaSettings,
    *,
    document_id: int,
    edition: int,
    document_type: str,
    title: tuple[str, str | None],
    summary: tuple[str | None, str | None],
    body_html: tuple[str | None, str | None],
) -> tuple[Mailing, bool]:
    """The mailing of one published press release or media advisory to its lists."""
    lists = [
        found
        for found in await session.scalars(select(DistributionList).order_by(DistributionList.id))
        if document_type in found.document_types
    ]
    reached = await reached_by(session, [found.id for found in lists])
    recipients = [addressee(journalist) for journalist in reached]
    section = SECTIONS.get(document_type, "news")
    link = f"{settings.website_url.rstrip('/')}/{section}/{document_id}"
    mailing = Mailing(
        kind="release",
        key=f"release:{document_id}:{edition}",
        document_id=document_id,
        edition=edition,
        document_type=document_type,
        subject_ka=title[0][:500],
        subject_en=title[1][:500] if title[1] else None,
        text_ka=summary[0] or "",
        text_en=summary[1],
        html_ka=body_html[0],
        html_en=body_html[1],
        link=link,
        list_ids=[found.id for found in lists],
        unsubscribable=True,
    )
    return await create_mailing(session, outbox, settings, mailing, recipients)


# Unsubscribing.


@dataclass(frozen=True)
class UnsubscribeLinks:
    """One-click unsubscribe links of one kind of addressee: the addressee's id and address,
    signed with the service's key under a salt of the kind's own, at a path of its own."""

    salt: str
    path: str

    def _serializer(self, settings: MediaSettings) -> URLSafeSerializer:
        return URLSafeSerializer(settings.secret_key.get_secret_value(), salt=self.salt)

    def url(self, settings: MediaSettings, addressee_id: int, email: str) -> str:
        token = self._serializer(settings).dumps([addressee_id, email])
        return f"{settings.public_base}{self.path}/{token}"

    def read(self, settings: MediaSettings, token: str) -> tuple[int, str]:
        try:
            addressee_id, email = self._serializer(settings).loads(token)
        except (BadSignature, ValueError, TypeError):
            raise Problem(
                404, "Unknown link", "This unsubscribe link is not one of ours (or was cut short)."
            ) from None
        return int(addressee_id), str(email)


# Journalists leave press releases; citizens leave their subscriptions (citizens.py).
JOURNALIST_LINKS = UnsubscribeLinks("media-unsubscribe", "/unsubscribe")
CITIZEN_LINKS = UnsubscribeLinks("citizen-unsubscribe", "/subscriptions/unsubscribe")


async def unsubscribe(database: Database, settings: MediaSettings, token: str) -> Journalist:
    """One click: no more releases to this address. Doing it twice changes nothing."""
    journalist_id, email = JOURNALIST_LINKS.read(settings, token)
    async with database.transaction() as session:
        journalist = await load_journalist(session, journalist_id)
        if journalist.unsubscribed_at is None:
            journalist.unsubscribed_at = now()
            note(session, journalist.id, "unsubscribed", "one-click link", details={"email": email})
            await refresh_journalists(session, [journalist.id])
    return journalist


# Composing.


@lru_cache(maxsize=64)
def _text_of(html: str | None) -> str:
    # Cached: a release's thousands of messages share its text.
    return markdownify(html, heading_style="ATX").strip() if html else ""


def compose(mailing: Mailing, delivery: Delivery, settings: MediaSettings) -> EmailMessage:
    """The message to one recipient: their language first, then the other."""
    ka = (mailing.subject_ka, mailing.text_ka, mailing.html_ka)
    en = (mailing.subject_en, mailing.text_en, mailing.html_en)
    has_en = bool(mailing.subject_en)
    first, second = (en, ka) if delivery.language == "en" and has_en else (ka, en)
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = Address(display_name=delivery.name, addr_spec=delivery.email)
    subject = first[0] or mailing.subject_ka
    message["Subject"] = subject if len(subject) <= 200 else subject[:199] + "…"
    message["Message-ID"] = delivery.message_id
    message["Date"] = format_datetime(mailing.created_at)
    parts = [
        "\n\n".join(p for p in (first[1], _text_of(first[2])) if p),
        mailing.link or "",
    ]
    if has_en:
        parts.append("\n\n".join(p for p in (second[0], second[1], _text_of(second[2])) if p))
    html_parts = [f"<p>{_escape(first[1] or '')}</p>", first[2] or ""]
    if mailing.link:
        html_parts.append(f'<p><a href="{_escape(mailing.link)}">{_escape(mailing.link)}</a></p>')
    if has_en:
        html_parts += [
            "<hr>",
            f"<h2>{_escape(second[0] or '')}</h2>",
            f"<p>{_escape(second[1] or '')}</p>",
            second[2] or "",
        ]
    if mailing.unsubscribable and delivery.subscriber_id is not None:
        link = CITIZEN_LINKS.url(settings, delivery.subscriber_id, delivery.email)
        message["List-Unsubscribe"] = f"<{link}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["List-Id"] = (
            f"{municipality.current().city_hall('en')} news <citizens.{domain_of(settings.sender)}>"
        )
        message["Precedence"] = "bulk"
        parts.append(f"გამოწერის გაუქმება · Unsubscribe: {link}")
        html_parts.append(f'<p><a href="{_escape(link)}">გამოწერის გაუქმება · Unsubscribe</a></p>')
    elif mailing.unsubscribable and delivery.journalist_id is not None:
        link = JOURNALIST_LINKS.url(settings, delivery.journalist_id, delivery.email)
        message["List-Unsubscribe"] = f"<{link}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["List-Id"] = (
            f"{municipality.current().name('en')} press releases "
            f"<press.{domain_of(settings.sender)}>"
        )
        message["Precedence"] = "bulk"
        parts.append(f"გამოწერის გაუქმება · Unsubscribe: {link}")
        html_parts.append(f'<p><a href="{_escape(link)}">გამოწერის გაუქმება · Unsubscribe</a></p>')
    parts.append(signature())
    message.set_content("\n\n".join(p for p in parts if p), charset="utf-8")
    message.add_alternative(
        f'<!doctype html><html lang="{delivery.language}"><meta charset="utf-8">'
        f"<body><h1>{_escape(subject)}</h1>{''.join(html_parts)}"
        f"<p>{_escape(signature()).replace(chr(10), '<br>')}</p></body></html>",
        subtype="html",
        charset="utf-8",
    )
    return message


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


# Sending.


class Sender:
    """Sends due deliveries over one SMTP connection, one message per transaction."""

    def __init__(self, database: Database, outbox: Outbox, settings: MediaSettings) -> None:
        self.database = database
        self.outbox = outbox
        self.settings = settings
        self.smtp: aiosmtplib.SMTP | None = None

    async def _connection(self) -> aiosmtplib.SMTP:
        if self.smtp is not None and self.smtp.is_connected:
            return self.smtp
        settings = self.settings
        assert settings.smtp_host
        smtp = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            start_tls=settings.smtp_starttls,
            timeout=30,
        )
        await smtp.connect()
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            await smtp.login(settings.smtp_username, password)
        self.smtp = smtp
        return smtp

    async def close(self) -> None:
        if self.smtp is not None and self.smtp.is_connected:
            with contextlib.suppress(Exception):
                await self.smtp.quit()
        self.smtp = None

    async def deliver(self, message: EmailMessage) -> Refusal | None:
        try:
            smtp = await self._connection()
            await smtp.send_message(message)
        except SMTP_TROUBLE as trouble:
            refusal = refusal_of(trouble)
            if refusal.server_down:
                await self.close()
            return refusal
        return None

    def pause_after(self, attempts: int) -> float:
        return min(
            self.settings.mail_retry_seconds * 2.0 ** max(attempts - 1, 0), LONGEST_RETRY_SECONDS
        )

    async def send_due(self) -> tuple[int, bool]:
        """Send what is due now; (how many were tried, whether the server was reached)."""
        moment = now()
        async with self.database.session() as session:
            due = list(
                await session.scalars(
                    select(Delivery)
                    .where(
                        Delivery.status.in_(PENDING),
                        (Delivery.not_before.is_(None)) | (Delivery.not_before <= moment),
                    )
                    .order_by(Delivery.id)
                    .limit(BATCH)
                )
            )
            ids = {d.journalist_id for d in due if d.journalist_id is not None}
            journalists = {
                j.id: j
                for j in await session.scalars(select(Journalist).where(Journalist.id.in_(ids)))
            }
            citizens = {d.subscriber_id for d in due if d.subscriber_id is not None}
            left = {
                row.id: row.unsubscribed_at
                for row in await session.execute(
                    select(Subscriber.id, Subscriber.unsubscribed_at).where(
                        Subscriber.id.in_(citizens), Subscriber.unsubscribed_at.is_not(None)
                    )
                )
            }
        tried = 0
        for delivery in due:
            tried += 1
            journalist = journalists.get(delivery.journalist_id or 0)
            mailing = delivery.mailing
            if mailing.unsubscribable and journalist is not None:
                # Each recipient's line says which: the person said no, or the address did.
                if journalist.unsubscribed_at:
                    when = f"{journalist.unsubscribed_at:%Y-%m-%d}"
                    await self._settle(delivery, "unsubscribed", f"unsubscribed on {when}")
                    continue
                if journalist.email_bounced_at:
                    when = f"{journalist.email_bounced_at:%Y-%m-%d}"
                    await self._settle(delivery, "suppressed", f"the address bounced on {when}")
                    continue
            gone = left.get(delivery.subscriber_id or 0)
            if gone is not None and mailing.unsubscribable:
                await self._settle(delivery, "unsubscribed", f"unsubscribed on {gone:%Y-%m-%d}")
                continue
            try:
                message = compose(mailing, delivery, self.settings)
            except (ValueError, TypeError) as bad:
                await self._settle(delivery, "failed", f"not sendable: {bad}")
                continue
            refusal = await self.deliver(message)
            if refusal is None:
                await self._settle(delivery, "sent", None)
                continue
            attempts = delivery.attempts + 1
            if refusal.permanent:
                await self._settle(delivery, "bounced", refusal.answer, attempts)
            elif attempts >= self.settings.mail_max_attempts:
                await self._settle(delivery, "failed", refusal.answer, attempts)
            else:
                await self._settle(
                    delivery,
                    "deferred",
                    refusal.answer,
                    attempts,
                    not_before=now() + timedelta(seconds=self.pause_after(attempts)),
                )
            if refusal.server_down:
                return tried, False
        if tried:
            await self.complete_finished()
        return tried, True

    async def _settle(
        self,
        delivery: Delivery,
        status: str,
        answer: str | None,
        attempts: int | None = None,
        *,
        not_before: object = None,
    ) -> None:
        values: dict[str, object] = {
            "status": status,
            "smtp_answer": answer[:2000] if answer else None,
            "updated_at": now(),
            "not_before": not_before,
        }
        if attempts is not None:
            values["attempts"] = attempts
        if status == "sent":
            values["sent_at"] = now()
        async with self.database.transaction() as session:
            await session.execute(update(Delivery).where(Delivery.id == delivery.id).values(values))
            if status == "bounced" and delivery.journalist_id is not None:
                journalist = await session.get(Journalist, delivery.journalist_id)
                if journalist is not None and journalist.email == delivery.email:
                    journalist.email_bounced_at = now()
                    await refresh_journalists(session, [journalist.id])
                note(
                    session,
                    delivery.journalist_id,
                    "email_bounced",
                    "smtp",
                    note=answer,
                    details={"mailing_id": delivery.mailing_id, "email": delivery.email},
                )
        DELIVERIES.labels(status).inc()

    async def complete_finished(self) -> int:
        """Tell the bus of every mailing whose deliveries are all settled."""
        completed = 0
        async with self.database.transaction() as session:
            open_mailings = list(
                await session.scalars(select(Mailing).where(Mailing.completed_at.is_(None)))
            )
            for mailing in open_mailings:
                waiting = await session.scalar(
                    select(func.count())
                    .select_from(Delivery)
                    .where(Delivery.mailing_id == mailing.id, Delivery.status.in_(PENDING))
                )
                if waiting:
                    continue
                await _complete(session, self.outbox, mailing)
                completed += 1
        return completed


async def counts(session: AsyncSession, mailing_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.mailing_id == mailing_id)
        .group_by(Delivery.status)
    )
    return {status: int(count) for status, count in rows.all()}


async def _complete(session: AsyncSession, outbox: Outbox, mailing: Mailing) -> None:
    found = await counts(session, mailing.id)
    mailing.completed_at = now()
    await outbox.add(
        session,
        DistributionSent(
            mailing_id=mailing.id,
            kind=mailing.kind,
            document_id=mailing.document_id,
            edition=mailing.edition,
            document_type=mailing.document_type,
            event_id=mailing.event_id,
            recipients=sum(found.values()),
            sent=found.get("sent", 0),
            bounced=found.get("bounced", 0),
            failed=found.get("failed", 0),
            suppressed=found.get("suppressed", 0),
            unsubscribed=found.get("unsubscribed", 0),
        ),
        about=f"mailing:{mailing.id}",
    )


@one_replica
async def keep_sending(runtime: Runtime) -> None:
    """The media service's sender, when an SMTP host is set. An SMTP server that is away
    delays releases; it does not make the service unfit to serve."""
    settings = runtime.settings
    assert isinstance(settings, MediaSettings)
    if not settings.smtp_host:
        return
    assert runtime.outbox is not None
    sender = Sender(runtime.db(), runtime.outbox, settings)
    runtime.job_states["distribution"] = "ok"
    unreachable = 0
    try:
        while True:
            try:
                tried, reached = await sender.send_due()
                runtime.job_states["distribution"] = "ok"
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("media.distribution_failed", error=str(error))
                runtime.job_states["distribution"] = f"failing: {str(error).splitlines()[0][:200]}"
                tried, reached = 0, False
            unreachable = 0 if reached else unreachable + 1
            if tried and reached:
                continue
            if not tried:
                await sender.close()
            await asyncio.sleep(min(settings.mail_poll_seconds * 2**unreachable, 300.0))
    finally:
        await sender.close()
