"""A case's story in plain words, from its workflow history and its service's audit trail.

Temporal's history says everything the workflow did, in its own terms: activities,
child workflows, signals, Updates, timers. The owning service's audit trail says what
happened to the case in the department's terms, with who and why. The case page tells
both as one timeline: where a service keeps an audit trail (publishing, for documents),
the history contributes only what that trail lacks — tasks opened and closed without a
decision, failures, the case's start and end — so nothing is told twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from temporalio.api.common.v1 import Payloads, SearchAttributes
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.converter import PayloadConverter

from meria.temporal import STAGE
from services.portal import labels
from services.portal.i18n import N_, _, when
from services.portal.labels import ACTIONS, OUTCOMES, ROLES, STEPS, label

Names = Callable[[str], str]

# The worker acts for the system; its entries name no person.
SYSTEM_ACTORS = set(labels.SYSTEM_ACTORS)

ACTIVITIES = {
    "publishing.load_case": N_("Reading the case from the publishing service"),
    "publishing.record_transition": N_("Recording a step in the publishing service"),
    "publishing.publish_edition": N_("Publication"),
    "publishing.sign_edition": N_("Signing the act electronically"),
    "publishing.record_review": N_("Recording the page's review in the publishing service"),
    "publishing.unpublish_on_schedule": N_("Taking the publication down at its time"),
    "tasks.send_notice": N_("Sending a reminder or an escalation"),
    "events.publish_announcement": N_("Creating the media advisory or the notice"),
    "media.open_accreditation": N_("Opening the accreditation window"),
    "media.close_accreditation": N_("Closing the accreditation window"),
    "media.remind_accredited": N_("Reminding the accredited journalists"),
    "events.load_case": N_("Reading the case from the events service"),
    "events.record_transition": N_("Recording a step in the events service"),
    "events.record_task_outcome": N_("Recording a task's outcome in the events service"),
    "events.withdraw_announcement": N_("Withdrawing the old date's media advisory"),
    "visits.load_case": N_("Reading the case from the visits service"),
    "visits.record_transition": N_("Recording a step in the visits service"),
    "visits.record_task_outcome": N_("Recording a task's outcome in the visits service"),
    "visits.report_not_ready": N_("Telling what is not ready before the visit"),
    "visits.publish_results": N_("Creating the press release about the visit's results"),
    "media.load_case": N_("Reading the case from the media service"),
    "media.record_transition": N_("Recording a step in the media service"),
    "media.publish_statement": N_("Publishing the statement"),
    "media.send_to_outlet": N_("Sending the response to the outlet"),
    "media.information.load_case": N_("Reading the information request"),
    "media.information.record_transition": N_("Recording a step of the information request"),
    "digest.gather": N_("Gathering the month's material"),
    "digest.publish": N_("Submitting the digest for publication"),
}
# What the audit trail already tells, by activity, update and signal name.
_AUDITED_ACTIVITIES = {"publishing.record_transition", "publishing.publish_edition"}
# A failed recording never reached the audit trail; a failed publication did.
_AUDITED_FAILURES = {"publishing.publish_edition"}
_AUDITED_UPDATES = {"withdraw", "retry", "resubmit", "restart_review", "force_publish"}
_AUDITED_SIGNALS = {"task_escalated"}


@dataclass(frozen=True)
class Entry:
    at: datetime
    text: str
    comment: str | None = None
    failure: bool = False
    # Another case page this entry is about (a task opened by the case).
    link: str | None = None


def _roles(roles: Iterable[str]) -> str:
    return ", ".join(label(ROLES, role) for role in roles)


def _who_awaited(task: dict[str, Any], names: Names) -> str:
    if task.get("assignee"):
        return names(str(task["assignee"]))
    return _roles(task.get("awaiting") or [])


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def failure_message(failure: Failure) -> str:
    """The innermost message worth reading: an activity's error, not 'Activity failed'."""
    messages = []
    current: Failure | None = failure
    while current is not None and current.message:
        messages.append(current.message)
        current = current.cause if current.HasField("cause") else None
    return messages[-1] if messages else ""


def _stage_of(attributes: SearchAttributes) -> str | None:
    """The stage a start or an upsert set; None where it did not touch it or unset it."""
    payload = attributes.indexed_fields.get(STAGE.name)
    if payload is None:
        return None
    try:
        value = PayloadConverter.default.from_payload(payload)
    except Exception:
        return None
    return value if isinstance(value, str) and value else None


class _Decoder:
    def __init__(self, converter: PayloadConverter) -> None:
        self.converter = converter

    def first(self, payloads: Payloads) -> Any:
        """The first argument or result as plain JSON values, or None if unreadable."""
        if not payloads.payloads:
            return None
        try:
            return self.converter.from_payloads(list(payloads.payloads))[0]
        except Exception:  # another converter's payload: the entry is told without it
            return None


def from_history(
    events: Sequence[HistoryEvent],
    converter: PayloadConverter,
    names: Names,
    *,
    audited: bool = False,
) -> list[Entry]:
    """The entries a workflow's history tells. `audited`: the service's trail tells the
    recorded steps, decisions, escalations and requests, so they are left out here."""
    reader = _HistoryReader(converter, names, audited, events)
    for event in events:
        kind = event.WhichOneof("attributes")
        if kind is None:
            continue
        # One method per event type this page tells, named after it; the rest (workflow
        # tasks, markers, ...) are the SDK's bookkeeping.
        tell = getattr(reader, kind.removesuffix("_event_attributes"), None)
        if tell is not None:
            tell(event.event_time.ToDatetime(tzinfo=UTC), getattr(event, kind), event.event_id)
    return reader.entries


class _HistoryReader:
    def __init__(
        self,
        converter: PayloadConverter,
        names: Names,
        audited: bool,
        events: Sequence[HistoryEvent],
    ) -> None:
        self.decode = _Decoder(converter)
        self.names = names
        self.audited = audited
        self.entries: list[Entry] = []
        self.stage: str | None = None
        # A task's stage is its step, which its opening already tells.
        self.is_task = False
        self.activities: dict[int, tuple[str, Any]] = {}
        self.attempts: dict[int, int] = {}
        self.children: dict[int, tuple[str, dict[str, Any]]] = {}
        self.cancelled_timers = {
            event.timer_canceled_event_attributes.started_event_id
            for event in events
            if event.HasField("timer_canceled_event_attributes")
        }

    def add(self, at: datetime, text: str, **more: Any) -> None:
        self.entries.append(Entry(at=at, text=text, **more))

    def child(self, initiated_id: int) -> tuple[str, dict[str, Any], str | None]:
        child_id, task = self.children.get(initiated_id, ("", {}))
        return child_id, task, f"/cases/{child_id}" if child_id else None

    # The case itself.

    def workflow_execution_started(self, at: datetime, started: Any, _id: int) -> None:
        argument = self.decode.first(started.input)
        self.is_task = started.workflow_type.name == "HumanTaskWorkflow"
        if self.is_task and isinstance(argument, dict):
            self.add(at, _task_opened(argument, self.names))
        else:
            self.add(at, _("Case started"))
        self.stage = _stage_of(started.search_attributes)

    def upsert_workflow_search_attributes(self, at: datetime, upsert: Any, _id: int) -> None:
        stage = _stage_of(upsert.search_attributes)
        if stage and stage != self.stage:
            self.stage = stage
            if not (self.audited or self.is_task):
                self.add(at, _("Stage: %(stage)s") % {"stage": label(STEPS, stage)})

    def workflow_execution_completed(self, at: datetime, completed: Any, _id: int) -> None:
        self.add(at, _case_closed(self.decode.first(completed.result), self.names))

    def workflow_execution_failed(self, at: datetime, failed: Any, _id: int) -> None:
        message = failure_message(failed.failure)
        self.add(at, _("The case failed: %(message)s") % {"message": message}, failure=True)

    def workflow_execution_timed_out(self, at: datetime, _timed_out: Any, _id: int) -> None:
        self.add(at, _("The case ran out of time"), failure=True)

    def workflow_execution_cancel_requested(self, at: datetime, asked: Any, _id: int) -> None:
        self.add(at, _("Cancellation requested"), comment=asked.cause or None)

    def workflow_execution_canceled(self, at: datetime, _cancelled: Any, _id: int) -> None:
        self.add(at, _("The case was cancelled"))

    def workflow_execution_terminated(self, at: datetime, ended: Any, _id: int) -> None:
        text = _("The case was stopped in Temporal")
        self.add(at, text, comment=ended.reason or None, failure=True)

    def workflow_execution_continued_as_new(self, at: datetime, _new: Any, _id: int) -> None:
        self.add(at, _("Continued as a new run"))

    # Activities: told by their outcome; what is under way is the page's pending list.

    def activity_task_scheduled(self, _at: datetime, scheduled: Any, event_id: int) -> None:
        argument = self.decode.first(scheduled.input)
        self.activities[event_id] = (scheduled.activity_type.name, argument)

    def activity_task_started(self, _at: datetime, started: Any, _id: int) -> None:
        self.attempts[started.scheduled_event_id] = started.attempt

    def activity_task_completed(self, at: datetime, completed: Any, _id: int) -> None:
        name, argument = self.activities.get(completed.scheduled_event_id, ("", None))
        if self.audited and name in _AUDITED_ACTIVITIES:
            return
        text = _activity_done(name, argument, self.names)
        if text:
            self.add(at, text)

    def activity_task_failed(self, at: datetime, failed: Any, _id: int) -> None:
        name, _argument = self.activities.get(failed.scheduled_event_id, ("", None))
        if self.audited and name in _AUDITED_FAILURES:
            return
        values = {
            "activity": _activity_name(name),
            "attempts": self.attempts.get(failed.scheduled_event_id, 1),
            "message": failure_message(failed.failure),
        }
        text = _("%(activity)s failed after %(attempts)d attempts: %(message)s") % values
        self.add(at, text, failure=True)

    activity_task_timed_out = activity_task_failed

    # Tasks: child workflows.

    def start_child_workflow_execution_initiated(
        self, _at: datetime, initiated: Any, event_id: int
    ) -> None:
        argument = self.decode.first(initiated.input)
        task = argument if isinstance(argument, dict) else {}
        self.children[event_id] = (initiated.workflow_id, task)

    def start_child_workflow_execution_failed(self, at: datetime, failed: Any, _id: int) -> None:
        child_id, task, _link = self.child(failed.initiated_event_id)
        text = _("%(step)s could not be opened") % {"step": _step(task, child_id)}
        self.add(at, text, failure=True)

    def child_workflow_execution_started(self, at: datetime, started: Any, _id: int) -> None:
        _child_id, task, link = self.child(started.initiated_event_id)
        text = _task_opened(task, self.names) if task.get("step") else _("A task was opened")
        self.add(at, text, link=link)

    def child_workflow_execution_completed(self, at: datetime, completed: Any, _id: int) -> None:
        if self.audited:
            return  # the decision is in the audit trail, with its comment
        child_id, task, link = self.child(completed.initiated_event_id)
        result = self.decode.first(completed.result)
        comment = result.get("comment") if isinstance(result, dict) else None
        self.add(at, _decided(result, task, child_id, self.names), comment=comment, link=link)

    def child_workflow_execution_canceled(self, at: datetime, cancelled: Any, _id: int) -> None:
        child_id, task, link = self.child(cancelled.initiated_event_id)
        text = _("%(step)s closed without a decision") % {"step": _step(task, child_id)}
        self.add(at, text, link=link)

    def child_workflow_execution_failed(self, at: datetime, ended: Any, _id: int) -> None:
        child_id, task, link = self.child(ended.initiated_event_id)
        message = failure_message(ended.failure) if hasattr(ended, "failure") else ""
        values = {"step": _step(task, child_id), "message": message or _("stopped")}
        text = _("%(step)s ended without a decision: %(message)s") % values
        self.add(at, text, failure=True, link=link)

    child_workflow_execution_terminated = child_workflow_execution_failed
    child_workflow_execution_timed_out = child_workflow_execution_failed

    # What people and other workflows send.

    def workflow_execution_signaled(self, at: datetime, signal: Any, _id: int) -> None:
        if self.audited and signal.signal_name in _AUDITED_SIGNALS:
            return
        argument = self.decode.first(signal.input)
        if signal.signal_name == "task_escalated" and isinstance(argument, dict):
            roles = _roles(argument.get("awaiting") or [])
            self.add(at, _("Escalated: now waiting on %(roles)s") % {"roles": roles})
        else:
            self.add(at, _signal(signal.signal_name))

    def workflow_execution_update_accepted(self, at: datetime, accepted: Any, _id: int) -> None:
        request = accepted.accepted_request
        name = request.input.name
        if self.audited and name in _AUDITED_UPDATES:
            return
        argument = self.decode.first(request.input.args)
        text, comment = _update(name, argument if isinstance(argument, dict) else {}, self.names)
        self.add(at, text, comment=comment)

    def workflow_execution_update_completed(self, at: datetime, completed: Any, _id: int) -> None:
        if completed.outcome.HasField("failure"):
            message = failure_message(completed.outcome.failure)
            text = _("A request was refused: %(message)s") % {"message": message}
            self.add(at, text, failure=True)

    # Waiting.

    def timer_started(self, at: datetime, started: Any, event_id: int) -> None:
        if self.audited or event_id in self.cancelled_timers:
            return  # a wait cut short by what it waited for says nothing
        fires = at + started.start_to_fire_timeout.ToTimedelta()
        self.add(at, _("Waits until %(when)s") % {"when": when(fires)})

    def timer_fired(self, at: datetime, _fired: Any, _id: int) -> None:
        if not self.audited:
            self.add(at, _("The waiting time is over"))


def from_audit(
    audit: Iterable[dict[str, Any]], names: Names, register_number: str | None = None
) -> list[Entry]:
    """The publishing service's audit entries of one edition, in plain words."""
    entries = []
    for record in audit:
        at = _moment(record.get("at"))
        if at is None:
            continue
        text = _audited(record, names, register_number)
        entries.append(
            Entry(
                at=at,
                text=text,
                comment=record.get("comment") or _error_of(record),
                failure=record.get("action") == "publication_failed",
            )
        )
    return entries


def merged(*parts: list[Entry]) -> list[Entry]:
    """One timeline, oldest first; at the same moment, the order each part gave."""
    return sorted((entry for part in parts for entry in part), key=lambda entry: entry.at)


# Phrases.


def _step(task: dict[str, Any], child_id: str = "") -> str:
    step = task.get("step")
    return label(STEPS, str(step)) if step else (child_id or _("A task"))


def _task_opened(task: dict[str, Any], names: Names) -> str:
    values = {"step": _step(task), "who": _who_awaited(task, names)}
    due = _moment(task.get("due_at"))
    if due is None:
        return _("%(step)s opened, waiting on %(who)s") % values
    return _("%(step)s opened, waiting on %(who)s, due %(due)s") % {**values, "due": when(due)}


def _decided(result: Any, task: dict[str, Any], child_id: str, names: Names) -> str:
    if not isinstance(result, dict) or not result.get("outcome"):
        return _("%(step)s closed") % {"step": _step(task, child_id)}
    step = label(STEPS, str(result.get("step"))) if result.get("step") else _step(task, child_id)
    return _decision_phrase(step, str(result["outcome"]), names(str(result.get("decided_by", ""))))


def _decision_phrase(step: str, outcome: str, who: str) -> str:
    values = {"step": step, "who": who}
    if outcome == "approve":
        return _("%(step)s approved by %(who)s") % values
    if outcome == "reject":
        return _("%(step)s rejected by %(who)s") % values
    if outcome == "request_changes":
        return _("%(step)s: changes requested by %(who)s") % values
    return _("%(step)s decided by %(who)s: %(outcome)s") % {
        **values,
        "outcome": label(OUTCOMES, outcome),
    }


def _case_closed(result: Any, names: Names) -> str:
    if isinstance(result, dict) and result.get("decided_by"):
        return _("Task closed: %(decision)s") % {
            "decision": _decision_phrase(
                label(STEPS, str(result.get("step", ""))),
                str(result.get("outcome", "")),
                names(str(result["decided_by"])),
            )
        }
    if isinstance(result, dict) and result.get("outcome"):
        return _("Case closed: %(outcome)s") % {"outcome": label(STEPS, str(result["outcome"]))}
    return _("Case closed")


def _activity_name(name: str) -> str:
    known = ACTIVITIES.get(name)
    return _(known) if known else name


def _activity_done(name: str, argument: Any, names: Names) -> str | None:
    if name.endswith(".load_case"):
        return None  # reading what the case is: the start already says so
    if name == "tasks.send_notice" and isinstance(argument, dict):
        notice = argument.get("notice") or {}
        if notice.get("kind") == "reminder":
            return _("Reminder sent")
        awaiting = list(notice.get("awaiting") or [])
        if awaiting:
            return _("Escalated to %(role)s") % {"role": label(ROLES, awaiting[-1])}
        return _("Escalated")
    if name == "publishing.record_transition" and isinstance(argument, dict):
        action = str((argument.get("transition") or {}).get("action", ""))
        return _("Recorded in the publishing service: %(action)s") % {
            "action": label(ACTIONS, action)
        }
    if name == "publishing.publish_edition":
        return _("Published")
    return _("Done: %(activity)s") % {"activity": _activity_name(name)}


def _signal(name: str) -> str:
    if name == "task_finished":
        return _("A task finished")
    return _("A message reached the case")


def _update(name: str, argument: dict[str, Any], names: Names) -> tuple[str, str | None]:
    who = names(str(argument.get("user", "")))
    reason = argument.get("reason") or argument.get("comment")
    if name == "decide":
        outcome = label(OUTCOMES, str(argument.get("outcome", "")))
        return _("Decision from %(who)s: %(outcome)s") % {"who": who, "outcome": outcome}, reason
    phrases = {
        "claim": N_("Claimed by %(who)s"),
        "unclaim": N_("Released by %(who)s"),
        "withdraw": N_("Withdrawal asked by %(who)s"),
        "retry": N_("Publication retried by %(who)s"),
        "resubmit": N_("Resubmitted by %(who)s"),
        "restart_review": N_("Review restarted by %(who)s after an edit"),
        "force_publish": N_("Publication without full review asked by %(who)s"),
        "reassign": N_("Handed on by %(who)s"),
        "follow_up": N_("Follow-up date set by %(who)s"),
        "cancel": N_("Cancellation asked by %(who)s"),
        "postpone": N_("Postponement asked by %(who)s"),
        "reschedule": N_("New date set by %(who)s"),
        "change_dates": N_("New dates set by %(who)s"),
        "amend": N_("Changed by %(who)s"),
        "amend_task": N_("A task changed by %(who)s"),
        "add_action": N_("A follow-up action added by %(who)s"),
    }
    phrase = phrases.get(name)
    if phrase:
        return _(phrase) % {"who": who}, reason
    return _("A change asked by %(who)s") % {"who": who}, reason


def _error_of(record: dict[str, Any]) -> str | None:
    error = (record.get("details") or {}).get("error")
    return str(error) if error else None


def _audited(record: dict[str, Any], names: Names, register_number: str | None) -> str:
    action = str(record.get("action", ""))
    actor = str(record.get("actor", ""))
    who = names(actor)
    step = label(STEPS, record.get("step")) if record.get("step") else ""
    details = record.get("details") or {}
    number = details.get("register_number") or register_number
    if action in ("approve_step", "request_changes", "reject") and step:
        outcome = {"approve_step": "approve"}.get(action, action)
        return _decision_phrase(step, outcome, who)
    if action == "approve":
        if details.get("register_number"):
            return _("Approved for publication, numbered %(number)s") % {"number": number}
        return _("Approved for publication")
    if action == "publish":
        if number:
            return _("Published as %(number)s") % {"number": number}
        return _("Published")
    if action == "schedule":
        moment = _moment(details.get("publish_at"))
        if moment:
            return _("Scheduled for publication on %(when)s") % {"when": when(moment)}
        return _("Scheduled for publication")
    if action == "publication_failed":
        return _("Publication failed")
    if action == "reminder_due":
        return _("Reminder sent: %(step)s waits on %(roles)s") % {
            "step": step,
            "roles": _roles(details.get("awaiting") or []),
        }
    if action == "escalated":
        awaiting = list(details.get("awaiting") or [])
        role = label(ROLES, awaiting[-1]) if awaiting else ""
        return _("%(step)s escalated to %(role)s") % {"step": step, "role": role}
    if action == "start_review":
        return _("Review started")
    if action == "supersede":
        return _("Superseded by a newer edition")
    phrases = {
        "create": N_("Draft created by %(who)s"),
        "edit": N_("Edited by %(who)s"),
        "submit": N_("Submitted for approval by %(who)s"),
        "resubmit": N_("Resubmitted by %(who)s"),
        "restart_review": N_("Review restarted by %(who)s after an edit"),
        "force_publish": N_("Approved without full review by %(who)s"),
        "retry": N_("Publication retried by %(who)s"),
        "withdraw": N_("Withdrawn by %(who)s"),
        "unpublish": N_("Unpublished by %(who)s"),
        "delete": N_("Deleted by %(who)s"),
    }
    phrase = phrases.get(action)
    if phrase and actor not in SYSTEM_ACTORS:
        return _(phrase) % {"who": who}
    return label(ACTIONS, action).capitalize() if action in ACTIONS else action
