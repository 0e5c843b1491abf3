"""Notifications' words and audience, and the email a notification becomes."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default

from meria.contracts import (
    DocumentApproved,
    DocumentChangesRequested,
    DocumentEscalated,
    DocumentPublicationFailed,
    DocumentPublished,
    DocumentReminderDue,
    DocumentStepApproved,
    LocalizedText,
)
from services.portal.mail import compose, message_id
from services.portal.models import Notification
from services.portal.notifications import Person, concerned, link_for, words_for
from services.portal.settings import PortalSettings

TITLE = LocalizedText(
    ka="ახმეტის მუნიციპალიტეტის მერის ბრძანება ზამთრის გზების მოვლის შესახებ",
    en="Order on winter road maintenance",
)
CASE = {"document_id": 7, "edition": 1, "document_type": "mayor_order", "title": TITLE,
        "authors": ["nino.beridze"]}  # fmt: skip
STAFF = [
    Person("nino.beridze", ["editor"]),
    Person("levan.kapanadze", ["legal_reviewer"]),
    Person("tamar.gelashvili", ["head_of_department"]),
    Person("mayor.akhmeta", ["mayor"]),
    Person("portal.admin", ["admin"]),
    Person("former.head", ["head_of_department"], active=False),
]
DUE = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)  # 12:30 in Tbilisi


def test_changes_requested_names_the_document_the_step_and_who_asked() -> None:
    event = DocumentChangesRequested(**CASE, step="legal_review", decided_by="levan.kapanadze")
    words = words_for(event, "ლევან კაპანაძე")
    assert words.kind == "changes_requested"
    assert "მერის ბრძანება „ახმეტის მუნიციპალიტეტის მერის ბრძანება ზამთრის" in words.text_ka
    assert "იურიდიული ექსპერტიზა" in words.text_ka and "ლევან კაპანაძე" in words.text_ka
    assert "მოთხოვნილია ცვლილებები" in words.text_ka
    assert "“Order on winter road maintenance”" in words.text_en
    assert "Legal review" in words.text_en and "requested changes" in words.text_en


def test_an_event_without_a_title_names_the_document_by_its_number() -> None:
    event = DocumentStepApproved(
        document_id=12, edition=2, document_type="press_release", step="department_review",
        decided_by="tamar.gelashvili",
    )  # fmt: skip
    words = words_for(event, "თამარ გელაშვილი")
    assert "პრესრელიზი №12" in words.text_ka
    assert "Press release 12" in words.text_en and "approved by თამარ გელაშვილი" in words.text_en


def test_approval_names_the_register_number_and_what_a_forced_one_skipped() -> None:
    plain = words_for(DocumentApproved(**CASE, register_number="14/2026"))
    assert "№ 14/2026" in plain.text_ka and "register number 14/2026" in plain.text_en
    forced = words_for(DocumentApproved(**CASE, forced=True, skipped_roles=["mayor"]))
    assert "მერი" in forced.text_ka.rsplit(":", 1)[1]
    assert "still to review it: Mayor" in forced.text_en


def test_publication_and_its_failure() -> None:
    published = DocumentPublished(
        **CASE, register_number="14/2026", published_at=datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert words_for(published).text_ka.endswith("გამოქვეყნდა (№ 14/2026).")
    failed = words_for(DocumentPublicationFailed(**CASE, error="disk full"))
    assert failed.kind == "publication_failed" and "ვერ გამოქვეყნდა" in failed.text_ka


def test_a_reminder_gives_the_deadline_in_tbilisi_time() -> None:
    event = DocumentReminderDue(
        **CASE, task_id="document-7-e1-task-legal_review", step="legal_review",
        awaiting=["legal_reviewer"], due_at=DUE,
    )  # fmt: skip
    words = words_for(event)
    assert "12:30" in words.text_ka and "12:30" in words.text_en
    assert "შეხსენება" in words.text_ka and "მარტი" in words.text_ka
    assert words.text_en.startswith("Reminder:") and "March" in words.text_en


def test_decisions_go_to_the_authors_but_never_to_the_decider() -> None:
    event = DocumentChangesRequested(**CASE, step="legal_review", decided_by="levan.kapanadze")
    assert concerned(event, STAFF) == {"nino.beridze": "author"}
    own = DocumentChangesRequested(
        **{**CASE, "authors": ["levan.kapanadze"]}, step="legal_review",
        decided_by="levan.kapanadze",
    )  # fmt: skip
    assert concerned(own, STAFF) == {}
    unknown = DocumentChangesRequested(
        **{**CASE, "authors": ["someone.gone"]}, step="legal_review", decided_by="x"
    )
    assert concerned(unknown, STAFF) == {}


def test_reminders_go_to_the_awaited_roles_and_escalations_to_the_author_too() -> None:
    common = {**CASE, "task_id": "t-1", "step": "department_review", "due_at": DUE}
    reminder = DocumentReminderDue(**common, awaiting=["head_of_department"])
    assert concerned(reminder, STAFF) == {"tamar.gelashvili": "reviewer"}
    escalated = DocumentEscalated(**common, awaiting=["head_of_department", "mayor"])
    assert concerned(escalated, STAFF) == {
        "tamar.gelashvili": "reviewer",
        "mayor.akhmeta": "reviewer",
        "nino.beridze": "author",
    }
    assert link_for(escalated, "reviewer") == "/tasks/t-1"
    assert link_for(escalated, "author") == "/documents/7"


def test_a_failed_publication_goes_to_administrators_and_authors() -> None:
    failed = DocumentPublicationFailed(**CASE, error="disk full")
    assert concerned(failed, STAFF) == {"portal.admin": "reviewer", "nino.beridze": "author"}
    assert link_for(failed, "reviewer") == "/documents/7"


def test_the_email_of_a_notification_is_georgian_first_with_a_stable_message_id() -> None:
    settings = PortalSettings(portal_url="https://portal.akhmeta.gov.ge")
    notification = Notification(
        id=41,
        text_ka="მერის ბრძანება „ზამთრის გზები“ — იურიდიული ექსპერტიზა: მოთხოვნილია ცვლილებები.",
        text_en="Mayor's order “Winter roads” — Legal review: changes requested.",
        created_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
    )
    message = compose(
        notification, address="nino.beridze@akhmeta.gov.ge", display_name="ნინო ბერიძე",
        language="ka", settings=settings,
    )  # fmt: skip
    assert message_id(41, settings.sender) == "<notification-41@akhmeta.gov.ge>"
    parsed = message_from_bytes(message.as_bytes(), policy=default)
    assert parsed["Message-ID"] == "<notification-41@akhmeta.gov.ge>"
    assert parsed["Subject"] == notification.text_ka
    assert parsed["To"].addresses[0].display_name == "ნინო ბერიძე"
    body = parsed.get_body().get_content()
    assert body.index(notification.text_ka) < body.index(notification.text_en)
    assert "https://portal.akhmeta.gov.ge/notifications/41" in body
    english = compose(
        notification, address="a@b.ge", display_name="A", language="en", settings=settings
    )
    assert english["Subject"] == notification.text_en
