"""The dashboard's pure parts: the visibility query of a filter, and a case's timeline told
from history events and audit entries (built here as Temporal and publishing give them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from temporalio.api.common.v1 import Payloads, SearchAttributes, WorkflowType
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import ApplicationFailureInfo, Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.converter import PayloadConverter

from services.portal.dashboard import (
    CaseFilter,
    case_query,
    decode_page,
    encode_page,
    history_url,
    text_clause,
)
from services.portal.i18n import current_language
from services.portal.settings import PortalSettings
from services.portal.timeline import Entry, from_audit, from_history, merged

CONVERTER = PayloadConverter.default
MOMENT = datetime(2026, 11, 12, 10, 3, tzinfo=UTC)  # 14:03 in Tbilisi
NAMES = {"levan.kapanadze": "ლევან კაპანაძე", "portal.admin": "ადმინისტრატორი"}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    token = current_language.set("en")
    yield
    current_language.reset(token)


def name_of(username: str) -> str:
    return NAMES.get(username, username)


def payloads(*values: Any) -> Payloads:
    return Payloads(payloads=CONVERTER.to_payloads(list(values)))


def stage(value: str) -> SearchAttributes:
    return SearchAttributes(indexed_fields={"MeriaStage": CONVERTER.to_payloads([value])[0]})


class History:
    """History events, numbered and a minute apart, as fetch_history() gives them."""

    def __init__(self) -> None:
        self.events: list[HistoryEvent] = []

    def add(self, event_type: EventType.ValueType, **attributes: Any) -> int:
        event = HistoryEvent(event_id=len(self.events) + 1, event_type=event_type, **attributes)
        event.event_time.FromDatetime(MOMENT + timedelta(minutes=len(self.events)))
        self.events.append(event)
        return event.event_id


def texts(entries: list[Entry]) -> list[str]:
    return [entry.text for entry in entries]


# The list's query.


def test_a_filter_becomes_one_visibility_query() -> None:
    chosen = CaseFilter(
        kind="document",
        status="running",
        stage="legal_review",
        overdue=True,
        started_from=date(2026, 11, 1),
        started_to=date(2026, 11, 12),
        text="ახმეტის სკოლების",
    )
    query = case_query(chosen, MOMENT)
    assert query == (
        # Cases only: a task is shown inside its case's row.
        "WorkflowType != 'HumanTaskWorkflow' AND MeriaKind = 'document'"
        " AND ExecutionStatus = 'Running' AND MeriaStage = 'legal_review'"
        " AND MeriaDueAt < '2026-11-12T10:03:00Z' AND ExecutionStatus = 'Running'"
        # Days are Tbilisi's: midnight there is 20:00 UTC the day before.
        " AND StartTime >= '2026-10-31T20:00:00Z' AND StartTime < '2026-11-12T20:00:00Z'"
        " AND (MeriaSubject = 'ახმეტის სკოლების')"
    )
    # The counts by stage and by status leave out their own choice.
    without = case_query(chosen, MOMENT, stage=False, status=False)
    assert "MeriaStage" not in without and "ExecutionStatus = 'Running'" in without
    assert case_query(CaseFilter(), MOMENT) == "WorkflowType != 'HumanTaskWorkflow'"


def test_text_matches_title_words_references_and_ids_never_query_syntax() -> None:
    assert text_clause("document:42") == (
        "(MeriaSubject = 'document 42' OR MeriaRef = 'document:42'"
        " OR WorkflowId STARTS_WITH 'document:42')"
    )
    # Quotes and the full-text match's own operators never reach the server as such.
    assert text_clause('ახმეტის "სკოლა" OR x*') == "(MeriaSubject = 'ახმეტის სკოლა OR x')"
    assert text_clause("o'neil") == "(MeriaSubject = 'o neil')"
    assert text_clause('"*"') is None
    # A task's id finds its case.
    assert text_clause("document-42-edition-1-task-legal_review-r1") == (
        "(MeriaSubject = 'document 42 edition 1 task legal_review r1'"
        " OR MeriaRef = 'document-42-edition-1' OR WorkflowId STARTS_WITH 'document-42-edition-1')"
    )


def test_page_tokens_and_history_links() -> None:
    token = b'{"StartTime":"2026-11-12T10:03:00Z","RunID":"abc"}'
    assert decode_page(encode_page(token)) == token
    assert decode_page("") is None
    with pytest.raises(ValueError):
        decode_page("***")
    settings = PortalSettings(temporal_ui_url="http://127.0.0.1:8233/")
    assert history_url(settings, "document-5-edition-1", "run-1") == (
        "http://127.0.0.1:8233/namespaces/meria/workflows/document-5-edition-1/run-1/history"
    )
    assert CaseFilter(kind="visit", overdue=True).link(stage="report_due") == (
        "/dashboard?kind=visit&stage=report_due&overdue=1"
    )


# The timeline.

TASK_INPUT = {
    "task_id": "document-5-edition-1-task-legal_review-r1",
    "step": "legal_review",
    "awaiting": ["legal_reviewer"],
    "assignee": None,
    "due_at": "2026-11-15T10:03:00+00:00",
}


def case_history(*, decided: bool = True) -> History:
    history = History()
    history.add(
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
        workflow_execution_started_event_attributes={
            "workflow_type": WorkflowType(name="DocumentPublicationWorkflow"),
            "input": payloads({"document_id": 5, "edition": 1}),
            "search_attributes": stage("submitted"),
        },
    )
    initiated = history.add(
        EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
        start_child_workflow_execution_initiated_event_attributes={
            "workflow_id": TASK_INPUT["task_id"],
            "input": payloads(TASK_INPUT),
        },
    )
    history.add(
        EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        upsert_workflow_search_attributes_event_attributes={
            "search_attributes": stage("legal_review")
        },
    )
    history.add(
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
        child_workflow_execution_started_event_attributes={"initiated_event_id": initiated},
    )
    if decided:
        history.add(
            EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
            child_workflow_execution_completed_event_attributes={
                "initiated_event_id": initiated,
                "result": payloads(
                    {
                        "step": "legal_review",
                        "outcome": "approve",
                        "decided_by": "levan.kapanadze",
                        "comment": "თანახმა ვარ",
                    }
                ),
            },
        )
    scheduled = history.add(
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        activity_task_scheduled_event_attributes={
            "activity_type": {"name": "publishing.publish_edition"},
            "input": payloads({"document_id": 5, "edition": 1}),
        },
    )
    history.add(
        EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
        activity_task_started_event_attributes={"scheduled_event_id": scheduled, "attempt": 5},
    )
    history.add(
        EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
        activity_task_failed_event_attributes={
            "scheduled_event_id": scheduled,
            "failure": Failure(
                message="Activity task failed",
                cause=Failure(
                    message="The attachment is missing from storage.",
                    application_failure_info=ApplicationFailureInfo(type="Missing"),
                ),
            ),
        },
    )
    history.add(
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        workflow_execution_update_accepted_event_attributes={
            "accepted_request": {
                "input": {
                    "name": "withdraw",
                    "args": payloads(
                        {"user": "portal.admin", "roles": ["admin"], "reason": "გადაიდო"}
                    ),
                }
            }
        },
    )
    history.add(
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        workflow_execution_completed_event_attributes={
            "result": payloads({"stage": "withdrawn", "outcome": "withdrawn"})
        },
    )
    return history


def test_a_history_in_plain_words() -> None:
    entries = from_history(case_history().events, CONVERTER, name_of)
    assert texts(entries) == [
        "Case started",
        "Stage: Legal review",
        "Legal review opened, waiting on Legal reviewer, due 15 Nov 2026, 14:03",
        "Legal review approved by ლევან კაპანაძე",
        "Publication failed after 5 attempts: The attachment is missing from storage.",
        "Withdrawal asked by ადმინისტრატორი",
        "Case closed: Withdrawn",
    ]
    opened, decided, failed, withdrawal = entries[2], entries[3], entries[4], entries[5]
    assert opened.link == decided.link == f"/cases/{TASK_INPUT['task_id']}"
    assert decided.comment == "თანახმა ვარ" and withdrawal.comment == "გადაიდო"
    assert failed.failure and not decided.failure
    assert entries[0].at == MOMENT


def test_where_the_service_keeps_an_audit_trail_the_history_does_not_repeat_it() -> None:
    entries = from_history(case_history().events, CONVERTER, name_of, audited=True)
    assert texts(entries) == [
        "Case started",
        "Legal review opened, waiting on Legal reviewer, due 15 Nov 2026, 14:03",
        "Case closed: Withdrawn",
    ]


def test_a_task_closed_without_decision_and_a_cancelled_case() -> None:
    history = case_history(decided=False)
    history.events = history.events[:4]
    history.add(
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
        child_workflow_execution_canceled_event_attributes={"initiated_event_id": 2},
    )
    history.add(
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
        workflow_execution_cancel_requested_event_attributes={"cause": "portal.admin: ბოლოს"},
    )
    history.add(
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        workflow_execution_canceled_event_attributes={"details": payloads()},
    )
    entries = from_history(history.events, CONVERTER, name_of)
    assert texts(entries)[-3:] == [
        "Legal review closed without a decision",
        "Cancellation requested",
        "The case was cancelled",
    ]
    assert entries[-2].comment == "portal.admin: ბოლოს"


def test_a_task_tells_its_reminder_escalation_claim_and_decision() -> None:
    history = History()
    history.add(
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
        workflow_execution_started_event_attributes={
            "workflow_type": WorkflowType(name="HumanTaskWorkflow"),
            "input": payloads({**TASK_INPUT, "assignee": "levan.kapanadze"}),
        },
    )
    history.add(
        EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        upsert_workflow_search_attributes_event_attributes={
            "search_attributes": stage("legal_review")
        },
    )
    timer = history.add(
        EventType.EVENT_TYPE_TIMER_STARTED,
        timer_started_event_attributes={"timer_id": "1"},
    )
    history.events[-1].timer_started_event_attributes.start_to_fire_timeout.FromTimedelta(
        timedelta(hours=36)
    )
    history.add(
        EventType.EVENT_TYPE_TIMER_FIRED,
        timer_fired_event_attributes={"timer_id": "1", "started_event_id": timer},
    )
    notices = (
        ("reminder", ["legal_reviewer"]),
        ("escalation", ["legal_reviewer", "head_of_department"]),
    )
    for kind, awaiting in notices:
        scheduled = history.add(
            EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
            activity_task_scheduled_event_attributes={
                "activity_type": {"name": "tasks.send_notice"},
                "input": payloads({"notice": {"kind": kind, "awaiting": awaiting}}),
            },
        )
        history.add(
            EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
            activity_task_completed_event_attributes={"scheduled_event_id": scheduled},
        )
    # A wait the decision cut short is not told.
    cut = history.add(
        EventType.EVENT_TYPE_TIMER_STARTED, timer_started_event_attributes={"timer_id": "2"}
    )
    history.add(
        EventType.EVENT_TYPE_TIMER_CANCELED,
        timer_canceled_event_attributes={"started_event_id": cut},
    )
    history.add(
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        workflow_execution_update_accepted_event_attributes={
            "accepted_request": {
                "input": {
                    "name": "decide",
                    "args": payloads(
                        {"user": "levan.kapanadze", "outcome": "request_changes", "comment": "?"}
                    ),
                }
            }
        },
    )
    history.add(
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        workflow_execution_completed_event_attributes={
            "result": payloads(
                {
                    "step": "legal_review",
                    "outcome": "request_changes",
                    "decided_by": "levan.kapanadze",
                }
            )
        },
    )
    assert texts(from_history(history.events, CONVERTER, name_of)) == [
        "Legal review opened, waiting on ლევან კაპანაძე, due 15 Nov 2026, 14:03",
        "Waits until 14 Nov 2026, 02:05",
        "The waiting time is over",
        "Reminder sent",
        "Escalated to Head of department",
        "Decision from ლევან კაპანაძე: Request changes",
        "Task closed: Legal review: changes requested by ლევან კაპანაძე",
    ]


def test_the_publishing_audit_trail_in_plain_words() -> None:
    def entry(minute: int, action: str, actor: str = "meria-worker", **more: Any) -> dict[str, Any]:
        at = (MOMENT + timedelta(minutes=minute)).isoformat()
        return {"at": at, "action": action, "actor": actor, "step": None, "comment": None,
                "details": {}, "edition_number": 1, **more}  # fmt: skip

    audit = [
        entry(0, "submit", "nino.beridze"),
        entry(1, "start_review"),
        entry(2, "reminder_due", step="legal_review", details={"awaiting": ["legal_reviewer"]}),
        entry(
            3,
            "escalated",
            step="legal_review",
            details={"awaiting": ["legal_reviewer", "head_of_department"]},
        ),
        entry(4, "approve_step", "levan.kapanadze", step="legal_review", comment="კარგია"),
        entry(5, "approve", details={"register_number": "45/2026"}),
        entry(6, "publication_failed", details={"error": "The attachment is missing."}),
        entry(7, "retry", "portal.admin"),
        entry(8, "publish"),
    ]
    entries = from_audit(audit, name_of, "45/2026")
    assert texts(entries) == [
        "Submitted for approval by nino.beridze",
        "Review started",
        "Reminder sent: Legal review waits on Legal reviewer",
        "Legal review escalated to Head of department",
        "Legal review approved by ლევან კაპანაძე",
        "Approved for publication, numbered 45/2026",
        "Publication failed",
        "Publication retried by ადმინისტრატორი",
        "Published as 45/2026",
    ]
    assert entries[4].comment == "კარგია"
    assert entries[6].failure and entries[6].comment == "The attachment is missing."
    # History and audit interleave by time.
    started = Entry(at=MOMENT + timedelta(seconds=30), text="Case started")
    assert texts(merged([started], entries[:2]))[:3] == [
        "Submitted for approval by nino.beridze",
        "Case started",
        "Review started",
    ]


def test_every_activity_of_the_worker_and_every_step_a_stage_names_has_a_georgian_name() -> None:
    from temporalio.activity import _Definition

    from meria.config import Settings
    from services.portal.labels import ACTIONS, HISTORY, STEPS
    from services.portal.timeline import ACTIVITIES
    from workflows.worker import activities

    names = {_Definition.must_from_callable(task).name for task in activities(Settings())}
    assert names and names <= set(ACTIVITIES), sorted(names - set(ACTIVITIES))
    token = current_language.set("ka")
    try:
        from services.portal.labels import label

        # The stages and task keys the seeded cases show, and a visit's logistics.
        for key in ("open", "drafting", "requested", "welcome_pack", "response_draft",
                    "in_preparation", "gathering", "composing", "awaiting_approval"):  # fmt: skip
            assert label(STEPS, key).isascii() is False, key
        assert label(ACTIONS, "new_edition").isascii() is False
        for key in ("request", "approve", "start_preparation", "task_done", "advisory_created"):
            assert label(HISTORY, key).isascii() is False, key
    finally:
        current_language.reset(token)
