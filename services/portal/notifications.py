"""Notifications: reminders, escalations and decisions on my cases, made from bus events.

Each handler writes one notification per person the event concerns, in the delivering
transaction, so an event is applied once however often it arrives (the consumer's inbox)
and a notification exists at most once per event and person (a unique key). The words
are written now, in Georgian and English, from the event's facts; the page shows them in
the reader's language. When email is configured, a notification for someone who wants
email is marked pending in the same transaction, and `mail.keep_sending` sends it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from babel.dates import format_datetime
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from meria.bus import Delivery, Subscriptions
from meria.contracts import (
    DocumentApproved,
    DocumentChangesRequested,
    DocumentEscalated,
    DocumentPublicationFailed,
    DocumentPublished,
    DocumentRejected,
    DocumentReminderDue,
    DocumentStepApproved,
    InformationRequestAnswered,
    InformationRequestDeclined,
    InformationRequestOverdue,
)
from meria.contracts.media import InformationRequestEvent
from meria.contracts.publishing import CaseEvent
from meria.inputs import Id, Page
from meria.problems import Problem
from meria.runtime import Runtime
from services.portal import mail
from services.portal.i18n import TBILISI, Language, _, translations
from services.portal.labels import DOCUMENT_TYPES, ROLES, STEPS
from services.portal.models import Account, Notification
from services.portal.settings import PortalSettings
from services.portal.web import Staff, redirect, render, runtime_of, safe_next

router = APIRouter(include_in_schema=False)
subscriptions = Subscriptions()
background: list[Callable[[Runtime], Coroutine[Any, Any, None]]] = [mail.keep_sending]

PER_PAGE = 20
Audience = Literal["author", "reviewer"]


# What is said, and to whom: plain functions of the event's facts.


def label_in(language: Language, table: dict[str, str], key: str) -> str:
    """A label in the given language, whatever the language of the request at hand."""
    known = table.get(key)
    if known is None:
        return key.replace("_", " ")
    return translations(language).gettext(known)


def step_in(language: Language, step: str) -> str:
    # A retrospective approval names the role that approved, not a step.
    return label_in(language, STEPS if step in STEPS or step not in ROLES else ROLES, step)


def roles_in(language: Language, roles: Iterable[str]) -> str:
    return ", ".join(label_in(language, ROLES, role) for role in roles)


def document_in(language: Language, event: CaseEvent) -> str:
    """The document as a sentence names it: its type and its title in quotes."""
    kind = label_in(language, DOCUMENT_TYPES, event.document_type)
    if event.title is None:  # an event from before titles were carried
        return f"{kind} №{event.document_id}" if language == "ka" else f"{kind} {event.document_id}"
    if language == "ka":
        return f"{kind} „{event.title.ka}“"
    return f"{kind} “{event.title.en or event.title.ka}”"


def moment_in(language: Language, moment: datetime) -> str:
    return format_datetime(moment, "d MMMM y, HH:mm", tzinfo=TBILISI, locale=language)


@dataclass(frozen=True)
class Words:
    kind: str
    text_ka: str
    text_en: str


def words_for(event: CaseEvent, decided_by_name: str | None = None) -> Words:
    """What a notification says about an event, in both languages."""
    ka, en = document_in("ka", event), document_in("en", event)
    who = decided_by_name or ""
    if isinstance(event, DocumentStepApproved):
        step_ka, step_en = step_in("ka", event.step), step_in("en", event.step)
        later_ka = " (გამოქვეყნების შემდეგ)" if event.retrospective else ""
        later_en = " (after publication)" if event.retrospective else ""
        return Words(
            "step_approved",
            f"{ka} — {step_ka}: დამტკიცებულია{later_ka}. დაამტკიცა: {who}.",
            f"{en} — {step_en}: approved by {who}{later_en}.",
        )
    if isinstance(event, DocumentChangesRequested):
        step_ka, step_en = step_in("ka", event.step), step_in("en", event.step)
        return Words(
            "changes_requested",
            f"{ka} — {step_ka}: მოთხოვნილია ცვლილებები. მოითხოვა: {who}. "
            "შენიშვნა იხილეთ დოკუმენტის გვერდზე.",
            f"{en} — {step_en}: {who} requested changes. The comment is on the document's page.",
        )
    if isinstance(event, DocumentRejected):
        step_ka, step_en = step_in("ka", event.step), step_in("en", event.step)
        return Words(
            "rejected",
            f"{ka} — {step_ka}: უარყოფილია. უარყო: {who}. დოკუმენტი კვლავ პროექტია.",
            f"{en} — {step_en}: rejected by {who}. The document is a draft again.",
        )
    if isinstance(event, DocumentApproved):
        number_ka = f", რეგისტრაციის ნომერი № {event.register_number}"
        number_en = f", register number {event.register_number}"
        text_ka = f"{ka} დამტკიცდა{number_ka if event.register_number else ''}."
        text_en = f"{en} was approved{number_en if event.register_number else ''}."
        if event.forced:
            text_ka += " გამოქვეყნდება მარშრუტის დასრულებამდე"
            text_en += " It is published before its route is complete"
            if event.skipped_roles:
                text_ka += f"; შემდგომ განხილვას ელოდება: {roles_in('ka', event.skipped_roles)}"
                text_en += f"; still to review it: {roles_in('en', event.skipped_roles)}"
            text_ka += "."
            text_en += "."
        return Words("approved", text_ka, text_en)
    if isinstance(event, DocumentPublished):
        number_ka = f" (№ {event.register_number})" if event.register_number else ""
        number_en = f" (No. {event.register_number})" if event.register_number else ""
        return Words(
            "published", f"{ka} გამოქვეყნდა{number_ka}.", f"{en} was published{number_en}."
        )
    if isinstance(event, DocumentPublicationFailed):
        return Words(
            "publication_failed",
            f"{ka} ვერ გამოქვეყნდა. ადმინისტრატორმა გამოქვეყნება ხელახლა უნდა სცადოს.",
            f"{en} could not be published. An administrator is to retry the publication.",
        )
    if isinstance(event, DocumentReminderDue):
        return Words(
            "reminder_due",
            f"შეხსენება: {ka} ელოდება გადაწყვეტილებას — {step_in('ka', event.step)}. "
            f"ვადა: {moment_in('ka', event.due_at)}.",
            f"Reminder: {en} awaits a decision — {step_in('en', event.step)}. "
            f"Due {moment_in('en', event.due_at)}.",
        )
    if isinstance(event, DocumentEscalated):
        return Words(
            "escalated",
            f"ვადა გავიდა: {ka} — {step_in('ka', event.step)}. "
            f"ახლა გადაწყვეტილებას ელოდება: {roles_in('ka', event.awaiting)}.",
            f"Deadline passed: {en} — {step_in('en', event.step)}. "
            f"Now awaiting: {roles_in('en', event.awaiting)}.",
        )
    raise TypeError(f"no words for {type(event).__name__}")


@dataclass(frozen=True)
class Person:
    """What deciding who is told needs of an account."""

    username: str
    roles: Sequence[str]
    active: bool = True


def concerned(event: CaseEvent, people: Iterable[Person]) -> dict[str, Audience]:
    """Who is told of an event, and as whom: the edition's authors of everything on
    their case but reminders; the holders of the awaited roles of reminders and
    escalations; administrators of a failed publication, which they are to retry. Never
    the person who made the decision, never an inactive account."""
    reviewer_roles: set[str] = set()
    if isinstance(event, DocumentReminderDue | DocumentEscalated):
        reviewer_roles = set(event.awaiting)
    elif isinstance(event, DocumentPublicationFailed):
        reviewer_roles = {"admin"}
    authors = set() if isinstance(event, DocumentReminderDue) else set(event.authors)
    decided_by = getattr(event, "decided_by", None)
    told: dict[str, Audience] = {}
    for person in people:
        if not person.active or person.username == decided_by:
            continue
        # An author is told as author: the author cannot decide on their own case.
        if person.username in authors:
            told[person.username] = "author"
        elif reviewer_roles.intersection(person.roles):
            told[person.username] = "reviewer"
    return told


def link_for(event: CaseEvent, audience: Audience) -> str:
    """Reviewers go to the task that waits on them; authors to their document."""
    if audience == "reviewer" and isinstance(event, DocumentReminderDue | DocumentEscalated):
        return f"/tasks/{event.task_id}"
    return f"/documents/{event.document_id}"


# The handlers: one durable consumer each, all writing through `notify`.


async def notify(event: CaseEvent, delivery: Delivery) -> None:
    session = delivery.session
    # A department's staff fit in memory, and roles live in a JSON list that SQLite and
    # PostgreSQL query differently: the choice is made here, not in SQL.
    accounts = {a.username: a for a in (await session.scalars(select(Account))).all()}
    people = [Person(a.username, list(a.roles), a.active) for a in accounts.values()]
    told = concerned(event, people)
    if not told:
        return
    decided_by = getattr(event, "decided_by", None)
    decider = accounts.get(decided_by) if decided_by else None
    words = words_for(event, decider.display_name if decider else decided_by)
    links = {username: link_for(event, audience) for username, audience in told.items()}
    await _tell(delivery, accounts, links, words)


async def _tell(
    delivery: Delivery, accounts: dict[str, Account], links: dict[str, str], words: Words
) -> None:
    """One notification per person (with the link each is sent to), emailed to those who
    want email when email is configured."""
    settings = delivery.settings
    emailing = isinstance(settings, PortalSettings) and bool(settings.smtp_host)
    rows = []
    for username, link in sorted(links.items()):
        account = accounts[username]
        wants_email = emailing and bool(account.email) and account.email_notifications
        rows.append(
            {
                "event_id": delivery.envelope.id,
                "username": username,
                "kind": words.kind,
                "text_ka": words.text_ka,
                "text_en": words.text_en,
                "link": link,
                "created_at": delivery.envelope.time,
                "email_status": "pending" if wants_email else "none",
                "email_attempts": 0,
            }
        )
    if rows:
        await _insert_once(delivery.session, rows)


async def _insert_once(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Rows already there (the same event, the same person) are left as they are."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Notification).on_conflict_do_nothing(index_elements=["event_id", "username"])
    await session.execute(statement, rows)


@subscriptions.handler
async def notify_step_approved(event: DocumentStepApproved, delivery: Delivery) -> None:
    await notify(event, delivery)


@subscriptions.handler
async def notify_changes_requested(event: DocumentChangesRequested, delivery: Delivery) -> None:
    await notify(event, delivery)


@subscriptions.handler
async def notify_rejected(event: DocumentRejected, delivery: Delivery) -> None:
    await notify(event, delivery)


@subscriptions.handler
async def notify_approved(event: DocumentApproved, delivery: Delivery) -> None:
    await notify(event, delivery)


@subscriptions.handler
async def notify_published(event: DocumentPublished, delivery: Delivery) -> None:
    await notify(event, delivery)


@subscriptions.handler
async def notify_publication_failed(event: DocumentPublicationFailed, delivery: Delivery) -> None:
    await notify(event, delivery)


@subscriptions.handler
async def notify_reminder_due(event: DocumentReminderDue, delivery: Delivery) -> None:
    await notify(event, delivery)


@subscriptions.handler
async def notify_escalated(event: DocumentEscalated, delivery: Delivery) -> None:
    await notify(event, delivery)


# The information desk: the requester hears of the answer (or the refusal); the head of
# department of a request left unanswered past its deadline.


def information_words(event: InformationRequestEvent) -> Words:
    title = event.title
    if isinstance(event, InformationRequestAnswered):
        return Words(
            "information_answered",
            f"თქვენს მოთხოვნაზე „{title}“ პასუხი გაცემულია.",
            f"Your request “{title}” has its answer.",
        )
    if isinstance(event, InformationRequestDeclined):
        return Words(
            "information_declined",
            f"თქვენს მოთხოვნაზე „{title}“ პასუხი ვერ გაიცემა: {event.reason}",
            f"Your request “{title}” cannot be answered: {event.reason}",
        )
    if isinstance(event, InformationRequestOverdue):
        return Words(
            "information_overdue",
            f"ვადა გავიდა: ინფორმაციის მოთხოვნა „{title}“ ({event.requester_unit}) პასუხს ელოდება.",
            f"Deadline passed: the information request “{title}” ({event.requester_unit}) "
            "awaits its answer.",
        )
    raise TypeError(f"no words for {type(event).__name__}")


async def notify_information(event: InformationRequestEvent, delivery: Delivery) -> None:
    accounts = {a.username: a for a in (await delivery.session.scalars(select(Account))).all()}
    if isinstance(event, InformationRequestOverdue):
        told = [a.username for a in accounts.values() if a.active
                and "head_of_department" in a.roles]  # fmt: skip
    else:
        requester = accounts.get(event.requester)
        told = [requester.username] if requester is not None and requester.active else []
    link = f"/requests/{event.request_id}"
    await _tell(delivery, accounts, dict.fromkeys(told, link), information_words(event))


@subscriptions.handler
async def notify_information_answered(
    event: InformationRequestAnswered, delivery: Delivery
) -> None:
    await notify_information(event, delivery)


@subscriptions.handler
async def notify_information_declined(
    event: InformationRequestDeclined, delivery: Delivery
) -> None:
    await notify_information(event, delivery)


@subscriptions.handler
async def notify_information_overdue(event: InformationRequestOverdue, delivery: Delivery) -> None:
    await notify_information(event, delivery)


# The pages.


def mine(username: str) -> Any:
    return Notification.username == username


@router.get("/notifications")
async def notifications_page(request: Request, signed: Staff, page: Page = 1) -> Response:
    username = signed.account.username
    async with runtime_of(request).db().session() as session:
        total = (
            await session.execute(
                select(func.count()).select_from(Notification).where(mine(username))
            )
        ).scalar_one()
        pages = max(1, -(-total // PER_PAGE))
        page = min(max(page, 1), pages)
        items = list(
            await session.scalars(
                select(Notification)
                .where(mine(username))
                .order_by(Notification.created_at.desc(), Notification.id.desc())
                .offset((page - 1) * PER_PAGE)
                .limit(PER_PAGE)
            )
        )
    done = request.query_params.get("read")
    flashes = []
    if done == "one":
        flashes.append(_("The notification is marked as read."))
    elif done == "all":
        flashes.append(_("All notifications are marked as read."))
    return await render(
        request,
        "notifications.html",
        items=items,
        total=total,
        page=page,
        pages=pages,
        flashes=flashes,
    )


async def _mark_read(request: Request, username: str, notification_id: int) -> Notification:
    """Mark one of my notifications read (once: the first reading time stays)."""
    async with runtime_of(request).db().transaction() as session:
        found = await session.get(Notification, notification_id)
        if found is None or found.username != username:
            raise Problem(404, "No such notification", _("There is no such notification."))
        if found.read_at is None:
            found.read_at = datetime.now(UTC)
    return found


@router.post("/notifications/read")
async def mark_all_read(request: Request, signed: Staff) -> Response:
    async with runtime_of(request).db().transaction() as session:
        await session.execute(
            update(Notification)
            .where(mine(signed.account.username), Notification.read_at.is_(None))
            .values(read_at=datetime.now(UTC))
        )
    return redirect("/notifications?read=all")


@router.post("/notifications/{notification_id}/read")
async def mark_read(
    request: Request, signed: Staff, notification_id: Id, page: Annotated[Page, Form()] = 1
) -> Response:
    await _mark_read(request, signed.account.username, notification_id)
    return redirect(f"/notifications?read=one&page={max(page, 1)}")


@router.get("/notifications/{notification_id}")
async def open_notification(request: Request, signed: Staff, notification_id: Id) -> Response:
    """Following a notification to its case marks it read."""
    found = await _mark_read(request, signed.account.username, notification_id)
    return redirect(safe_next(found.link) if found.link else "/notifications")
