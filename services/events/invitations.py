"""Invitations to official events: the personal link where an invitee answers, and the
email that carries it.

The link's token is the invitee's only credential: signed with the service's secret,
naming the participant, the event and the moment of the invitation, and good for
`rsvp_valid_days` from that moment. A newer invitation to the same person replaces the
older link, and no answer is taken once the event has begun, or after it is cancelled.

The email is written "pending" in the same transaction as the invitation; the sender
marks it "sent" only once the SMTP server has accepted it. A crash between the two sends
it again under the same Message-ID, so mail clients show it once. A temporary refusal
(4xx) or an unreachable server is tried again later, each time after a longer pause; a
permanent refusal (5xx), or too many attempts, makes it "failed" with the server's
answer, which staff see beside the invitee. With several copies of the service running,
each pending email is claimed by one of them before it is sent.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from itsdangerous import BadSignature, URLSafeSerializer
from prometheus_client import Counter
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from meria import municipality
from meria.db import Database
from meria.logging import get_logger
from meria.mail import deliver
from meria.problems import Problem
from meria.runtime import Runtime
from meria.singleton import one_replica
from services.events.models import Event, Participant
from services.events.settings import EventsSettings
from services.events.states import EventState
from services.events.texts import KINDS, spoken_date

log = get_logger(__name__)

RSVP_SALT = "meria-events-rsvp"
INVITATIONS = Counter(
    "meria_events_invitation_emails_total", "Invitation emails by outcome", ["outcome"]
)  # sent | retry | failed
BATCH = 50
LONGEST_RETRY_SECONDS = 3600.0
# How long a copy of the service holds a pending email it has claimed before another may.
CLAIM_SECONDS = 120.0
ANSWERABLE = (EventState.DRAFT, EventState.SCHEDULED, EventState.POSTPONED)


def now() -> datetime:
    return datetime.now(UTC)


# The link.


def _serializer(settings: EventsSettings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key.get_secret_value(), salt=RSVP_SALT)


def _stamp(moment: datetime) -> int:
    """The invitation's moment in milliseconds: an invitation sent again a moment later
    is another invitation, with another link."""
    return int(moment.timestamp() * 1000)


def rsvp_token(settings: EventsSettings, participant: Participant) -> str:
    assert participant.invited_at is not None
    claim = {"p": participant.id, "e": participant.event_id, "i": _stamp(participant.invited_at)}
    return str(_serializer(settings).dumps(claim))


def rsvp_url(settings: EventsSettings, participant: Participant) -> str:
    base = (settings.public_url or settings.events_url).rstrip("/")
    return f"{base}/rsvp/{rsvp_token(settings, participant)}"


@dataclass(frozen=True)
class Claim:
    event_id: int
    participant_id: int
    invited: int


def read_token(settings: EventsSettings, token: str) -> Claim:
    """What a link names, if this service signed it and it has not expired: a link lasts
    `rsvp_valid_days` from the invitation it carries (so the same link is shown to staff
    whenever they look, and lasts no longer for it)."""
    try:
        value = _serializer(settings).loads(token)
        claim = Claim(int(value["e"]), int(value["p"]), int(value["i"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        raise Problem(404, "No such invitation", "The link is not valid.") from None
    if now().timestamp() - claim.invited / 1000 > settings.rsvp_valid_days * 86400:
        raise Problem(
            410, "The invitation has expired", "This link has expired; ask the city hall."
        )
    return claim


async def invitation_of(
    session: AsyncSession, settings: EventsSettings, token: str
) -> tuple[Event, Participant]:
    """The event and the invitee a link names, when the link still stands for them."""
    claim = read_token(settings, token)
    participant = await session.get(Participant, claim.participant_id)
    if participant is None or participant.event_id != claim.event_id:
        raise Problem(404, "No such invitation", "The link is not valid.")
    if participant.invited_at is None or _stamp(participant.invited_at) != claim.invited:
        raise Problem(
            410, "The invitation was replaced", "A newer invitation was sent; use its link."
        )
    event = await session.get(Event, claim.event_id)
    if event is None:
        raise Problem(404, "No such invitation", "The link is not valid.")
    return event, participant


def answers_closed(event: Event, moment: datetime) -> str | None:
    """Why no answer is taken any more, or None while it is."""
    if event.state not in ANSWERABLE:
        return "closed"
    if event.starts_at <= moment:
        return "begun"
    return None


# The email.


def message_id(participant: Participant, mail_from: str) -> str:
    """The same for every attempt at one invitation, so a resent copy is a duplicate."""
    assert participant.invited_at is not None
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "meria.localhost"
    return f"<invitation-{participant.id}-{_stamp(participant.invited_at)}@{domain}>"


def _place(event: Event, english: bool) -> str:
    if event.venue is not None:
        name = (event.venue.name_en if english else None) or event.venue.name_ka
        address = (event.venue.address_en if english else None) or event.venue.address_ka
        return f"{name}, {address}" if address else name
    return ((event.place_en if english else None) or event.place_ka) or ""


def compose(event: Event, participant: Participant, settings: EventsSettings) -> EmailMessage:
    """The invitation in Georgian, then in English, with the personal link."""
    assert participant.email and participant.invited_at is not None
    url = rsvp_url(settings, participant)
    title_ka, title_en = event.title_ka, event.title_en or event.title_ka
    kind_ka, kind_en = KINDS.get(event.kind, (event.kind, event.kind))
    place = municipality.current()
    georgian = (
        f"ბატონო/ქალბატონო {participant.full_name},\n\n"
        f"{place.city_hall('ka')} გიწვევთ ღონისძიებაზე: {title_ka} ({kind_ka}).\n"
        f"დრო: {spoken_date(event.starts_at, 'ka')}\n"
        f"ადგილი: {_place(event, english=False)}\n\n"
        f"გთხოვთ, გვაცნობოთ, დაესწრებით თუ არა — პასუხი ამ ბმულზე:\n{url}\n"
    )
    english = (
        f"Dear {participant.full_name},\n\n"
        f"{place.city_hall('en')} invites you to {title_en} ({kind_en.lower()}).\n"
        f"When: {spoken_date(event.starts_at, 'en')}\n"
        f"Where: {_place(event, english=True)}\n\n"
        f"Please tell us whether you will attend, at this link:\n{url}\n"
    )
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = Address(display_name=participant.full_name, addr_spec=participant.email)
    subject = f"მოსაწვევი: {title_ka}"
    message["Subject"] = subject if len(subject) <= 200 else subject[:199] + "…"
    message["Message-ID"] = message_id(participant, settings.sender)
    message["Date"] = format_datetime(participant.invited_at)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(f"{georgian}\n—\n\n{english}", charset="utf-8")
    return message


class Sender:
    """Sends pending invitation emails, one transaction per invitation."""

    def __init__(self, database: Database, settings: EventsSettings) -> None:
        self.database = database
        self.settings = settings

    def pause_after(self, attempts: int) -> float:
        pause = self.settings.mail_retry_seconds * 2.0 ** max(attempts - 1, 0)
        return min(pause, LONGEST_RETRY_SECONDS)

    async def _claim(self, participant_id: int, moment: datetime) -> bool:
        """Hold one pending email for this copy of the service for a while."""
        async with self.database.transaction() as session:
            claimed = await session.execute(
                update(Participant)
                .where(
                    Participant.id == participant_id,
                    Participant.invitation_status == "pending",
                    (Participant.invitation_not_before.is_(None))
                    | (Participant.invitation_not_before <= moment),
                )
                .values(invitation_not_before=moment + timedelta(seconds=CLAIM_SECONDS))
            )
            return bool(getattr(claimed, "rowcount", 0) == 1)

    async def send_due(self) -> tuple[int, bool]:
        """Send what is due; (how many were tried, whether the server was reached)."""
        moment = now()
        async with self.database.session() as session:
            due = list(
                await session.scalars(
                    select(Participant.id)
                    .where(
                        Participant.invitation_status == "pending",
                        (Participant.invitation_not_before.is_(None))
                        | (Participant.invitation_not_before <= moment),
                    )
                    .order_by(Participant.id)
                    .limit(BATCH)
                )
            )
        tried = 0
        for participant_id in due:
            if not await self._claim(participant_id, moment):
                continue  # another copy has it, or it changed meanwhile
            tried += 1
            if not await self._send_one(participant_id):
                return tried, False
        return tried, True

    async def _send_one(self, participant_id: int) -> bool:
        """Send one claimed invitation; False if the server could not be reached."""
        async with self.database.session() as session:
            participant = await session.get(Participant, participant_id)
            event = await session.get(Event, participant.event_id) if participant else None
            if participant is None or event is None or not participant.email:
                return True
            try:
                message = compose(event, participant, self.settings)
            except (ValueError, TypeError, MessageError) as bad:  # no header can carry it
                await self._settle(participant_id, "failed", f"not sendable: {bad}")
                return True
            attempts = participant.invitation_attempts + 1
        refusal = await deliver(message, self.settings)
        if refusal is None:
            await self._settle(participant_id, "sent", None, attempts)
            return True
        if refusal.permanent or attempts >= self.settings.mail_max_attempts:
            await self._settle(participant_id, "failed", refusal.answer, attempts)
            log.warning("events.invitation_failed", participant=participant_id)
        else:
            retry = now() + timedelta(seconds=self.pause_after(attempts))
            await self._settle(participant_id, "pending", refusal.answer, attempts, retry)
        return not refusal.server_down

    async def _settle(
        self,
        participant_id: int,
        status: str,
        answer: str | None,
        attempts: int | None = None,
        not_before: datetime | None = None,
    ) -> None:
        values: dict[str, object] = {
            "invitation_status": status,
            "invitation_error": answer[:2000] if answer else None,
            "invitation_not_before": not_before,
        }
        if attempts is not None:
            values["invitation_attempts"] = attempts
        if status == "sent":
            values["invitation_sent_at"] = now()
        async with self.database.transaction() as session:
            await session.execute(
                update(Participant).where(Participant.id == participant_id).values(values)
            )
        INVITATIONS.labels(status if status != "pending" else "retry").inc()


@one_replica
async def keep_sending(runtime: Runtime) -> None:
    """The events service's invitation sender, when an SMTP host is set. An SMTP server
    that is away delays invitations; it does not make the service unfit to serve."""
    settings = runtime.settings
    assert isinstance(settings, EventsSettings)
    if not settings.smtp_host:
        return
    sender = Sender(runtime.db(), settings)
    runtime.job_states["invitations"] = "ok"
    unreachable = 0
    while True:
        try:
            _tried, reached = await sender.send_due()
            runtime.job_states["invitations"] = "ok"
        except asyncio.CancelledError:
            raise
        except Exception as error:  # not migrated yet, or briefly failing: try again
            log.warning("events.invitations_failed", error=str(error))
            runtime.job_states["invitations"] = f"failing: {str(error).splitlines()[0][:200]}"
            reached = False
        unreachable = 0 if reached else unreachable + 1
        await asyncio.sleep(min(settings.mail_poll_seconds * 2**unreachable, 300.0))
