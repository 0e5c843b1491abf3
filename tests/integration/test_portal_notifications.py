"""Notifications in the staff portal, on real servers: the bus events of the publishing
service become notifications in the portal and emails through a real SMTP server
(aiosmtpd), once per event and person, and the person reads and clears them."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from meria.bus import Delivery
from meria.contracts import CloudEvent, DocumentChangesRequested, DocumentReminderDue, LocalizedText
from meria.db import Database, migrate
from meria.testing.servers import NatsServer, TemporalDevServer, free_port
from services.portal.app import PARTS
from services.portal.mail import Mailer
from services.portal.models import Account, Notification
from services.portal.notifications import notify_changes_requested, notify_reminder_due
from services.portal.settings import PortalSettings
from tests.conftest import DatabaseFactory
from tests.support.portal import STAFF, Person, create_staff
from tests.support.publishing import PRESS_RELEASE, Desk
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

TITLE = "ახმეტის მუნიციპალიტეტის მერის ბრძანება სოფლის ბიბლიოთეკების სამუშაო საათების შესახებ"
BODY = "1. ახმეტის, მატანისა და ჯოყოლოს ბიბლიოთეკები ღიაა შაბათობითაც.\n\n" \
       "2. ბრძანება ძალაშია გამოქვეყნებისთანავე."  # fmt: skip
EDITOR, LAWYER, HEAD = STAFF["editor"][0], STAFF["lawyer"][0], STAFF["head"][0]


@dataclass
class Mailbox:
    """What a real SMTP server (aiosmtpd) received; some addresses refused first."""

    messages: list[EmailMessage] = field(default_factory=list)
    # Answers to give to RCPT TO for an address, in turn, before accepting it.
    refusals: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # aiosmtpd calls its hooks by these names
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        with self.lock:
            answers = self.refusals.get(address)
            if answers:
                return answers.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


# The handlers and the email job against a real database and a real SMTP server.


@pytest.fixture
async def database(new_database: DatabaseFactory) -> AsyncIterator[Database]:
    found = Database(await new_database("portal"))
    assert PARTS.migrations is not None and PARTS.metadata is not None
    await migrate(found, PARTS.migrations, PARTS.metadata)
    async with found.transaction() as session:
        for username, name, roles in STAFF.values():
            session.add(
                Account(
                    username=username, display_name=name, roles=roles, language="ka",
                    email=None if username == HEAD else f"{username}@akhmeta.gov.ge",
                    active=True, email_notifications=True,
                    created_at=datetime.now(UTC),
                )
            )  # fmt: skip
    yield found
    await found.dispose()


def changes_requested() -> DocumentChangesRequested:
    return DocumentChangesRequested(
        document_id=3, edition=1, document_type="mayor_order",
        title=LocalizedText(ka=TITLE, en="Library opening hours"), authors=[EDITOR],
        step="legal_review", decided_by=LAWYER,
    )  # fmt: skip


async def rows(database: Database) -> list[Notification]:
    async with database.session() as session:
        return list(await session.scalars(select(Notification).order_by(Notification.id)))


async def test_a_redelivered_event_makes_no_second_notification(database: Database) -> None:
    settings = PortalSettings(smtp_host="127.0.0.1", smtp_port=free_port())
    event = changes_requested()
    envelope = CloudEvent.wrap(event, about="document:3")
    for deliveries in (1, 2):
        async with database.transaction() as session:
            await notify_changes_requested(
                event, Delivery(session, envelope, None, deliveries, settings)
            )
    [only] = await rows(database)
    assert (only.username, only.kind, only.link) == (EDITOR, "changes_requested", "/documents/3")
    assert TITLE in only.text_ka and STAFF["lawyer"][1] in only.text_ka
    assert "Library opening hours" in only.text_en
    assert only.email_status == "pending" and only.read_at is None
    # The same facts in another event are another notification.
    async with database.transaction() as session:
        again = CloudEvent.wrap(event, about="document:3")
        await notify_changes_requested(event, Delivery(session, again, None, 1, settings))
    assert len(await rows(database)) == 2

    # Without an SMTP host nobody's notification waits for email, nor does it for
    # someone without an address.
    reminder = DocumentReminderDue(
        document_id=3, edition=1, document_type="mayor_order", task_id="document-3-task-1",
        step="department_review", awaiting=["head_of_department", "legal_reviewer"],
        due_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC), authors=[EDITOR],
    )  # fmt: skip
    async with database.transaction() as session:
        envelope = CloudEvent.wrap(reminder)
        await notify_reminder_due(reminder, Delivery(session, envelope, None, 1, settings))
        await notify_reminder_due(
            reminder, Delivery(session, CloudEvent.wrap(reminder), None, 1, PortalSettings())
        )
    reminded = [(r.username, r.email_status, r.link) for r in await rows(database)][2:]
    assert reminded == [
        (LAWYER, "pending", "/tasks/document-3-task-1"),
        (HEAD, "none", "/tasks/document-3-task-1"),
        (LAWYER, "none", "/tasks/document-3-task-1"),
        (HEAD, "none", "/tasks/document-3-task-1"),
    ]


async def pending(database: Database, username: str, text: str) -> int:
    async with database.transaction() as session:
        row = Notification(
            event_id=f"event-{text}", username=username, kind="changes_requested",
            text_ka=f"„{TITLE}“ — {text}", text_en=f"“Library hours” — {text}",
            link="/documents/3", created_at=datetime.now(UTC), email_status="pending",
            email_attempts=0,
        )  # fmt: skip
        session.add(row)
    return row.id


async def test_email_is_retried_after_a_temporary_refusal_and_given_up_after_a_permanent_one(
    database: Database, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    editor_address, lawyer_address = f"{EDITOR}@akhmeta.gov.ge", f"{LAWYER}@akhmeta.gov.ge"
    mailbox.refusals[editor_address] = ["451 4.3.0 Mailbox busy, try again later"]
    mailbox.refusals[lawyer_address] = ["550 5.1.1 No such mailbox here"]
    settings = PortalSettings(smtp_host="127.0.0.1", smtp_port=port)
    clock = [1000.0]
    mailer = Mailer(database, settings, retry_seconds=60, clock=lambda: clock[0])
    first = await pending(database, EDITOR, "მოთხოვნილია ცვლილებები")
    refused = await pending(database, LAWYER, "დამტკიცებულია")

    assert await mailer.send_due()
    by_id = {row.id: row for row in await rows(database)}
    assert (by_id[first].email_status, by_id[first].email_attempts) == ("pending", 1)
    assert "451" in (by_id[first].email_error or "")
    assert by_id[refused].email_status == "failed" and "550" in (by_id[refused].email_error or "")
    assert mailbox.messages == []

    # Not again before its pause is over; then it goes, once.
    await mailer.send_due()
    assert mailbox.messages == []
    clock[0] += 61
    await mailer.send_due()
    await mailer.send_due()
    [sent] = mailbox.to(editor_address)
    assert sent["Message-ID"] == f"<notification-{first}@akhmeta.gov.ge>"
    assert "მოთხოვნილია ცვლილებები" in sent["Subject"]
    assert TITLE in sent.get_body().get_content()  # type: ignore[union-attr]
    by_id = {row.id: row for row in await rows(database)}
    assert (by_id[first].email_status, by_id[first].email_error) == ("sent", None)

    # A crash after the server took a message and before it was marked sent: it is sent
    # again after the restart, under the same Message-ID, never skipped.
    class CrashingMailer(Mailer):
        async def _record(self, notification_id: int, status: str, *args: Any) -> None:
            if status == "sent":
                raise RuntimeError("the process stopped here")

    crashed = await pending(database, EDITOR, "უარყოფილია")
    with pytest.raises(RuntimeError):
        await CrashingMailer(database, settings).send_due()
    await Mailer(database, settings).send_due()
    copies = [m for m in mailbox.to(editor_address) if "უარყოფილია" in m["Subject"]]
    assert [m["Message-ID"] for m in copies] == [f"<notification-{crashed}@akhmeta.gov.ge>"] * 2

    # A server that cannot be reached: tried again later, and given up after the last try.
    away = PortalSettings(smtp_host="127.0.0.1", smtp_port=free_port())
    later = await pending(database, EDITOR, "ვადა გავიდა")
    patient = Mailer(database, away, retry_seconds=1, max_attempts=2, clock=lambda: clock[0])
    assert not await patient.send_due()
    row = next(r for r in await rows(database) if r.id == later)
    assert (row.email_status, row.email_attempts) == ("pending", 1) and row.email_error
    clock[0] += 2
    await patient.send_due()
    row = next(r for r in await rows(database) if r.id == later)
    assert (row.email_status, row.email_attempts) == ("failed", 2)


# The whole way: publishing and its workflow, the bus, the portal, an SMTP server.


@pytest.fixture
async def portal(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
    smtp: tuple[Mailbox, int],
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["publishing", "worker", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            smtp_host="127.0.0.1",
            smtp_port=smtp[1],
            # A step of seconds, so a late step is reminded and escalated while we wait.
            route_deadline_min_hours=0.0001,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        response = await http.put(
            f"{stack.urls['publishing']}/issuers/mayor",
            headers=stack.headers("admin"),
            json={"name_ka": "ახმეტის მუნიციპალიტეტის მერი", "name_en": "Mayor of Akhmeta"},
        )
        assert response.status_code == 200
        yield stack


async def person(stack: Stack, who: str) -> Person:
    someone = Person(stack, STAFF[who][0])
    signed = await someone.sign_in()
    assert signed.status_code == 303, signed.text
    return someone


def unread_count(page: httpx.Response) -> str | None:
    found = re.search(r'href="/notifications"[^>]*>[^<]*<span class="count"[^>]*>(\d+)<', page.text)
    return found.group(1) if found else None


async def emails_to(mailbox: Mailbox, address: str, count: int) -> list[EmailMessage]:
    async with asyncio.timeout(30):
        while len(mailbox.to(address)) < count:
            await asyncio.sleep(0.1)
    return mailbox.to(address)


async def test_changes_requested_reach_the_editor_in_the_portal_and_by_email(
    portal: Stack, smtp: tuple[Mailbox, int]
) -> None:
    mailbox = smtp[0]
    editor = await person(portal, "editor")
    lawyer = await person(portal, "lawyer")
    assert "no notifications" in (await editor.get("/notifications?lang=en")).text.lower()

    # The editor submits a legal act; the legal reviewer asks for changes.
    created = await editor.post(
        "/documents/new",
        {"document_type": "mayor_order", "issuer_code": "mayor", "title_ka": TITLE,
         "title_en": "Library opening hours", "body_ka": BODY, "action": "submit"},
    )  # fmt: skip
    assert created.status_code == 303, created.text
    document_path = created.headers["location"].split("?")[0]
    inbox = await lawyer.until("/inbox", lambda page: TITLE in page.text)
    task = re.search(r'<a href="(/tasks/[^"]+)">' + re.escape(TITLE), inbox.text)
    assert task
    asked = await lawyer.post(
        f"{task.group(1)}/decision",
        {"outcome": "request_changes", "comment": "მიუთითეთ ბიბლიოთეკების მისამართები."},
    )
    assert asked.status_code == 303

    # The editor finds it in the list, in Georgian, counted in the navigation.
    page = await editor.until("/notifications", lambda page: TITLE in page.text)
    assert unread_count(page) == "1"
    item = re.search(r'<li id="n(\d+)" class="unread">(.*?)</li>', page.text, re.S)
    assert item, page.text
    notification_id, shown = item.group(1), item.group(2)
    assert "იურიდიული ექსპერტიზა" in shown and STAFF["lawyer"][1] in shown
    assert "მოთხოვნილია ცვლილებები" in shown
    assert f'action="/notifications/{notification_id}/read"' in shown
    # In English, the English words.
    english = await editor.get("/notifications?lang=en")
    assert "Legal review" in english.text and "requested changes" in english.text
    # Marking it read clears the count; following it leads to the document.
    read = await editor.post(f"/notifications/{notification_id}/read", {"page": "1"})
    assert read.status_code == 303
    page = await editor.get(read.headers["location"])
    assert unread_count(page) is None and 'class="unread"' not in page.text
    assert 'role="status"' in page.text and f'id="n{notification_id}" class="read"' in page.text
    opened = await editor.get(f"/notifications/{notification_id}")
    assert opened.status_code == 303 and opened.headers["location"] == document_path

    # Someone else's notification is not theirs to mark, and a forged form changes nothing.
    assert (await lawyer.post(f"/notifications/{notification_id}/read")).status_code == 404
    forged = await lawyer.post("/notifications/read", csrf=False)
    assert forged.status_code == 403

    # One email, in Georgian, under the notification's own Message-ID.
    address = f"{EDITOR}@akhmeta.gov.ge"
    [email] = await emails_to(mailbox, address, 1)
    assert email["Message-ID"] == f"<notification-{notification_id}@akhmeta.gov.ge>"
    assert TITLE in email["Subject"] and "მოთხოვნილია ცვლილებები" in email["Subject"]
    assert STAFF["editor"][1] in str(email["To"])
    body = email.get_body().get_content()  # type: ignore[union-attr]
    assert f"/notifications/{notification_id}" in body and "Legal review" in body
    # The server has the message a moment before the job records that it was accepted.
    for _ in range(100):
        async with portal.runtime("portal").db().session() as session:
            row = await session.get(Notification, int(notification_id))
        if row is not None and row.email_status == "sent":
            break
        await asyncio.sleep(0.1)
    assert row is not None and row.email_status == "sent" and row.read_at is not None
    await asyncio.sleep(3)  # more rounds of the email job send nothing again
    assert len(mailbox.to(address)) == 1
    assert mailbox.to(f"{LAWYER}@akhmeta.gov.ge") == []  # the decider is not told

    # Twenty a page, newest first; a page that is not a number is refused.
    async with portal.runtime("portal").db().transaction() as session:
        for number in range(1, 21):
            session.add(
                Notification(
                    event_id=f"older-{number}", username=EDITOR, kind="published",
                    text_ka=f"ძველი შეტყობინება {number}", text_en=f"Older notice {number}",
                    link="/documents/1", email_status="none", email_attempts=0,
                    created_at=datetime(2026, 1, number, 9, 0, tzinfo=UTC),
                )
            )  # fmt: skip
    first_page = await editor.get("/notifications")
    assert first_page.text.count("<li id=") == 20 and 'rel="next"' in first_page.text
    assert first_page.text.index(TITLE) < first_page.text.index("ძველი შეტყობინება 20")
    second_page = await editor.get("/notifications?page=2")
    assert second_page.text.count("<li id=") == 1 and "ძველი შეტყობინება 1<" in second_page.text
    assert 'rel="prev"' in second_page.text
    assert (await editor.get("/notifications?page=two")).status_code == 400
    for someone in (editor, lawyer):
        await someone.close()


async def test_a_late_step_reminds_and_escalates_to_the_head_of_department(
    portal: Stack, smtp: tuple[Mailbox, int]
) -> None:
    async with httpx.AsyncClient(timeout=20) as http:
        admin = Desk(portal, http, "portal.admin", "admin")
        # A review of under two seconds: a reminder at half of it, escalation at its end.
        await admin.ok(
            "PUT",
            "/routes/announcement",
            json={"steps": [{"key": "department_review", "role": "head_of_department",
                             "deadline_hours": 0.0005, "escalate_to": "mayor"}],
                  "reason": "ტესტი: შეხსენება და ესკალაცია წამებში"},
        )  # fmt: skip
        desk = Desk(portal, http, EDITOR, "editor")
        document = await desk.create({**PRESS_RELEASE, "document_type": "announcement"})
        await desk.submit(document["id"])

    head = await person(portal, "head")
    page = await head.until("/notifications", lambda page: page.text.count('class="unread"') >= 2)
    items = re.findall(r'<li id="n\d+" class="unread">(.*?)</li>', page.text, re.S)
    assert len(items) == 2, items
    escalation, reminder = items  # newest first
    assert "ვადა გავიდა" in escalation and "მერი" in escalation
    assert "შეხსენება" in reminder and PRESS_RELEASE["title_ka"] in reminder
    assert unread_count(page) == "2"
    links = re.findall(r'<a href="(/notifications/\d+)">', page.text)
    opened = await head.get(links[0])
    assert opened.headers["location"].startswith(f"/tasks/document-{document['id']}")
    # Everything at once.
    cleared = await head.post("/notifications/read")
    assert cleared.status_code == 303
    assert unread_count(await head.get("/notifications")) is None

    # The author hears of the escalation, not of the reminder; the mayor of the escalation.
    editor = await person(portal, "editor")
    page = await editor.until("/notifications", lambda page: "ვადა გავიდა" in page.text)
    assert "შეხსენება" not in page.text
    [author_link] = re.findall(r'<a href="(/notifications/\d+)">', page.text)
    opened = await editor.get(author_link)
    assert opened.headers["location"] == f"/documents/{document['id']}"
    mayor = await person(portal, "mayor")
    page = await mayor.until("/notifications", lambda page: "ვადა გავიდა" in page.text)
    assert unread_count(page) == "1"
    # The head of department has an address, so the escalation came by email too.
    emails = await emails_to(smtp[0], f"{HEAD}@akhmeta.gov.ge", 2)
    assert any("ვადა გავიდა" in email["Subject"] for email in emails)
    for someone in (head, editor, mayor):
        await someone.close()
