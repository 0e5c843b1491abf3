"""Email for notifications, through the SMTP server the settings name.

A notification to be emailed is written "pending" in the same transaction as the
notification itself; this job sends pending ones and marks each "sent" only once the
server has accepted it. A crash between the two sends it again, under the same
Message-ID, so mail clients show it once; nothing accepted for sending is skipped. A
temporary refusal (4xx) or an unreachable server is tried again later, each time after a
longer pause; a permanent refusal (5xx), or too many attempts, makes it "failed", with
the server's answer kept in `email_error`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from prometheus_client import Counter
from sqlalchemy import select

from meria import municipality
from meria.db import Database
from meria.logging import get_logger
from meria.mail import deliver
from meria.runtime import Runtime
from meria.singleton import one_replica
from services.portal.models import Account, Notification
from services.portal.settings import PortalSettings

log = get_logger(__name__)

EMAILS = Counter(
    "meria_portal_emails_total", "Notification emails by outcome", ["outcome"]
)  # sent | retry | failed | none
MAX_ATTEMPTS = 10
# The first retry waits this long, each next one twice as long, up to an hour: about
# four hours of trying before a notification's email is given up.
RETRY_SECONDS = 30.0
LONGEST_RETRY_SECONDS = 3600.0
POLL_SECONDS = 2.0
BATCH = 50


def signature() -> str:
    """The mail's last lines: Meria, the city hall in both languages, the department."""
    place = municipality.current()
    return (
        f"—\nMeria · {place.city_hall('ka')} · {place.city_hall('en')}\n"
        "საზოგადოებასთან ურთიერთობისა და საერთაშორისო პროექტების განყოფილება\n"
    )


def message_id(notification_id: int, mail_from: str) -> str:
    """The same for every attempt at one notification, so a resent copy is a duplicate."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "meria.localhost"
    return f"<notification-{notification_id}@{domain}>"


def compose(
    notification: Notification,
    *,
    address: str,
    display_name: str,
    language: str,
    settings: PortalSettings,
) -> EmailMessage:
    """The email of a notification: the reader's language first, then the other."""
    first, second = (
        (notification.text_en, notification.text_ka)
        if language == "en"
        else (notification.text_ka, notification.text_en)
    )
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = Address(display_name=display_name, addr_spec=address)
    message["Subject"] = first if len(first) <= 200 else first[:199] + "…"
    message["Message-ID"] = message_id(notification.id, settings.sender)
    message["Date"] = format_datetime(notification.created_at)
    # RFC 3834: out-of-office replies are not to answer it.
    message["Auto-Submitted"] = "auto-generated"
    link = f"{settings.portal_url.rstrip('/')}/notifications/{notification.id}"
    message.set_content(f"{first}\n\n{link}\n\n{second}\n\n{signature()}", charset="utf-8")
    return message


class Mailer:
    """Sends pending notification emails, with back-off per notification.

    When each notification may next be tried is kept in memory: after a restart every
    pending one is tried at once, which is harmless, and the attempts count stays in the
    database. One portal process sends (deploy/Procfile runs one).
    """

    def __init__(
        self,
        database: Database,
        settings: PortalSettings,
        *,
        retry_seconds: float = RETRY_SECONDS,
        max_attempts: int = MAX_ATTEMPTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self.settings = settings
        self.retry_seconds = retry_seconds
        self.max_attempts = max_attempts
        self.clock = clock
        self.not_before: dict[int, float] = {}

    def pause_after(self, attempts: int) -> float:
        return min(self.retry_seconds * 2.0 ** max(attempts - 1, 0), LONGEST_RETRY_SECONDS)

    async def send_due(self) -> bool:
        """Try every pending email that is due; False if the server could not be reached."""
        async with self.database.session() as session:
            found = (
                await session.execute(
                    select(Notification, Account)
                    .join(Account, Account.username == Notification.username, isouter=True)
                    .where(Notification.email_status == "pending")
                    .order_by(Notification.id)
                    .limit(BATCH)
                )
            ).all()
            session.expunge_all()
        now = self.clock()
        for notification, account in found:
            if self.not_before.get(notification.id, 0.0) > now:
                continue
            if (
                account is None
                or not account.active
                or not account.email
                or not account.email_notifications
            ):
                # Address removed or email turned off since: their choice now counts.
                await self._record(notification.id, "none", None)
                continue
            try:
                message = compose(
                    notification,
                    address=account.email,
                    display_name=account.display_name,
                    language=account.language,
                    settings=self.settings,
                )
            except (ValueError, TypeError, MessageError) as bad:  # no header can carry it
                await self._record(notification.id, "failed", f"not sendable: {bad}")
                continue
            refusal = await deliver(message, self.settings)
            if refusal is None:
                await self._record(notification.id, "sent", None)
                continue
            attempts = notification.email_attempts + 1
            if refusal.permanent or attempts >= self.max_attempts:
                await self._record(notification.id, "failed", refusal.answer, attempts)
                log.warning(
                    "portal.email_failed", notification=notification.id, error=refusal.answer
                )
            else:
                await self._record(notification.id, "pending", refusal.answer, attempts)
                self.not_before[notification.id] = now + self.pause_after(attempts)
                log.info("portal.email_retry", notification=notification.id, error=refusal.answer)
            if refusal.server_down:
                return False
        return True

    async def _record(
        self, notification_id: int, status: str, error: str | None, attempts: int | None = None
    ) -> None:
        async with self.database.transaction() as session:
            row = await session.get(Notification, notification_id)
            if row is None:
                return
            row.email_status = status
            row.email_error = error[:2000] if error else None
            if attempts is not None:
                row.email_attempts = attempts
        if status != "pending":
            self.not_before.pop(notification_id, None)
        EMAILS.labels(status if status != "pending" else "retry").inc()


@one_replica
async def keep_sending(runtime: Runtime) -> None:
    """The portal's email job, when an SMTP host is set; its state counts for readiness
    only as far as the portal's own database is concerned: an SMTP server that is away
    delays email, it does not make the portal unfit to serve."""
    settings = runtime.settings
    assert isinstance(settings, PortalSettings)
    if not settings.smtp_host:
        return
    mailer = Mailer(runtime.db(), settings)
    runtime.job_states["email"] = "ok"
    unreachable = 0
    while True:
        try:
            reached = await mailer.send_due()
            runtime.job_states["email"] = "ok"
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("portal.email_job_failed", error=str(error))
            runtime.job_states["email"] = f"failing: {str(error).splitlines()[0][:200]}"
            reached = False
        unreachable = 0 if reached else unreachable + 1
        # While the server is away, look less often: up to every five minutes.
        await asyncio.sleep(min(POLL_SECONDS * 2**unreachable, 300.0))
