"""The transitions of an event that reach its workflow, and where the workflows' activities
land.

Scheduling a press conference or a meeting starts its workflow (`press-conference-<case>`
or `meeting-<case>`), inside the transaction that schedules it: if it cannot start,
nothing is scheduled; a repeated start finds the running one. Postponing, moving and
cancelling are written here and sent to the workflow as Updates with the verified user,
in the same transaction, so a refusal by the workflow changes nothing. Every
workflow-facing endpoint takes an idempotency key, so a retried activity changes
nothing twice.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from meria import municipality
from meria.auth import User
from meria.bus import Outbox
from meria.cases import Handler, TaskNotice, TaskOutcome, case_ref
from meria.cases import Reasoned as ReasonedChange
from meria.cases.events import (
    MEETING,
    PRESS_CONFERENCE,
    STATUS,
    ActionSpec,
    AnnouncementDraft,
    CaseStatus,
    EventCase,
    MeetingInput,
    Moved,
    PressConferenceInput,
    TransitionRequest,
)
from meria.contracts import (
    ActionOverdue,
    ActionReminderDue,
    EventCancelled,
    EventCompleted,
    EventPostponed,
    EventRescheduled,
    EventScheduled,
    EventTaskOverdue,
    EventTaskReminderDue,
    LocalizedText,
)
from meria.contracts import (
    Event as BusEvent,
)
from meria.db import Database
from meria.inputs import whole_number
from meria.problems import Problem
from meria.temporal import KIND, REF, STAGE, SUBJECT, query_status, send_update
from services.events import recurrence
from services.events.events import (
    WORKFLOW_KINDS,
    announce,
    apply,
    booking_of,
    briefing_for,
    conflict_details,
    copy_for_new_date,
    create_events,
    guard_conflicts,
    in_scope,
    load,
    note,
    now,
    workflow_id,
)
from services.events.models import BriefingNote, Event, FollowUpAction, HistoryEntry, Series
from services.events.schemas import DocumentRecord, EventCreate, Reasoned, Rescheduling, Scheduling
from services.events.settings import EventsSettings
from services.events.states import EventAction, EventState
from services.events.texts import ADVISORY, NOTICE, spoken_date

WORKER = "meria-worker"
# While its workflow runs, a press conference or a meeting changes through it.
RUNNING = frozenset({EventState.SCHEDULED, EventState.POSTPONED})


def workflows(temporal: Client | None) -> Client:
    """Temporal, for what involves a workflow (an event without one does not wait for it)."""
    if temporal is None:
        raise Problem(503, "Workflows unavailable", "Temporal is not reachable yet; try again.")
    return temporal


def change(user: User, reason: str) -> ReasonedChange:
    return ReasonedChange(user=user.id, roles=sorted(user.roles), reason=reason)


def runs_workflow(event: Event) -> bool:
    return event.kind in WORKFLOW_KINDS and event.source == "staff"


async def start_workflow(temporal: Client | None, task_queue: str, event: Event) -> None:
    """Start the case's workflow; a start repeated (a retried request) finds it running."""
    case = event.case
    attributes = [
        SearchAttributePair(STAGE, "scheduled"),
        SearchAttributePair(REF, case_ref("event", case)),
        SearchAttributePair(SUBJECT, event.title_ka),
    ]
    options: dict[str, Any] = {
        "id": workflow_id(event),
        "task_queue": task_queue,
        "id_conflict_policy": WorkflowIDConflictPolicy.USE_EXISTING,
    }
    temporal = workflows(temporal)
    if event.kind == "press_conference":
        await temporal.start_workflow(
            PRESS_CONFERENCE,
            PressConferenceInput(case_id=case, event_id=event.id),
            search_attributes=TypedSearchAttributes(
                [SearchAttributePair(KIND, "press_conference"), *attributes]
            ),
            **options,
        )
    else:
        await temporal.start_workflow(
            MEETING,
            MeetingInput(case_id=case, event_id=event.id),
            search_attributes=TypedSearchAttributes(
                [SearchAttributePair(KIND, "meeting"), *attributes]
            ),
            **options,
        )


async def workflow_status(temporal: Client | None, event: Event) -> CaseStatus | None:
    found = workflow_id(event)
    if found is None:
        return None
    status: CaseStatus | None = await query_status(workflows(temporal), found, STATUS)
    return status


async def _tell(temporal: Client | None, event: Event, update_name: str, argument: Any) -> None:
    if not runs_workflow(event):
        return
    # A press conference's and a meeting's workflows take the same changes.
    update = Handler(update_name, CaseStatus)
    await send_update(workflows(temporal), workflow_id(event) or "", update, argument)


# What staff do.


async def create(
    database: Database,
    temporal: Client | None,
    outbox: Outbox,
    settings: EventsSettings,
    data: EventCreate,
    user: User,
) -> list[Event]:
    """A draft event (or series), announced at once when asked."""
    async with database.transaction() as session:
        created, _ = await create_events(session, settings, data, user)
        for event in created:
            briefing = briefing_for(settings, event)
            if briefing is not None:
                session.add(briefing)
        if data.schedule:
            await schedule_events(
                session, temporal, outbox, settings, created, user,
                Scheduling(conflict_override_reason=data.conflict_override_reason),
            )  # fmt: skip
    return created


async def schedule(
    database: Database,
    temporal: Client | None,
    outbox: Outbox,
    settings: EventsSettings,
    event_id: int,
    data: Scheduling,
    user: User,
) -> list[Event]:
    async with database.transaction() as session:
        event = await load(session, event_id, lock=True)
        targets = [
            t
            for t in await in_scope(session, event, data.scope)
            if t is event or t.state == EventState.DRAFT
        ]
        await schedule_events(session, temporal, outbox, settings, targets, user, data)
    return targets


async def schedule_events(
    session: AsyncSession,
    temporal: Client | None,
    outbox: Outbox,
    settings: EventsSettings,
    targets: list[Event],
    user: User,
    data: Scheduling,
) -> None:
    """Announce drafts: their time is held again (a conflict since they were planned is
    refused unless overridden), the bus hears of them, their workflows start."""
    conflicts = await guard_conflicts(
        session,
        settings,
        [booking_of(t) for t in targets],
        exclude=[t.id for t in targets],
        override=data.conflict_override_reason,
    )
    for target in targets:
        apply(
            session,
            target,
            EventAction.SCHEDULE,
            user.id,
            reason=data.conflict_override_reason if conflicts else None,
            details=conflict_details(conflicts, data.conflict_override_reason),
        )
        await announce(session, outbox, target, EventScheduled)
    for target in targets:
        if runs_workflow(target):
            await start_workflow(temporal, settings.temporal_task_queue, target)


async def postpone(
    database: Database,
    temporal: Client | None,
    outbox: Outbox,
    event_id: int,
    data: Reasoned,
    user: User,
) -> list[Event]:
    async with database.transaction() as session:
        event = await load(session, event_id, lock=True)
        targets = [
            t
            for t in await in_scope(session, event, data.scope)
            if t is event or t.state == EventState.SCHEDULED
        ]
        for target in targets:
            apply(session, target, EventAction.POSTPONE, user.id, reason=data.reason)
            target.status_reason = data.reason
            await announce(session, outbox, target, EventPostponed, reason=data.reason)
        for target in targets:
            await _tell(temporal, target, "postpone", change(user, data.reason))
    return targets


async def cancel(
    database: Database,
    temporal: Client | None,
    outbox: Outbox,
    event_id: int,
    data: Reasoned,
    user: User,
) -> list[Event]:
    async with database.transaction() as session:
        event = await load(session, event_id, lock=True)
        targets = [
            t
            for t in await in_scope(session, event, data.scope)
            if t is event or EventState(t.state) in (*RUNNING, EventState.DRAFT)
        ]
        running = [t for t in targets if t.state in RUNNING]
        for target in targets:
            announced = target.state != EventState.DRAFT
            apply(session, target, EventAction.CANCEL, user.id, reason=data.reason)
            target.status_reason = data.reason
            if announced:
                await announce(session, outbox, target, EventCancelled, reason=data.reason)
        await _close_open_actions(session, [t.case for t in targets], user, data.reason)
        for target in running:
            await _tell(temporal, target, "cancel", change(user, data.reason))
    return targets


async def _close_open_actions(
    session: AsyncSession, cases: list[int], user: User, reason: str
) -> None:
    actions = await session.scalars(
        select(FollowUpAction).where(
            FollowUpAction.case_id.in_(cases), FollowUpAction.status == "open"
        )
    )
    for action in actions:
        action.status = "dropped"
        action.closed_by, action.closed_at = user.id, now()
        action.close_note = f"the meeting was cancelled: {reason}"


async def reschedule(
    database: Database,
    temporal: Client | None,
    outbox: Outbox,
    settings: EventsSettings,
    event_id: int,
    data: Rescheduling,
    user: User,
) -> list[Event]:
    """Give the event (or, with a scope, the occurrences it names) a new date. Each keeps
    its row as `rescheduled`, linked to a new event of the same case at the new date; the
    others in scope move by as much as this one."""
    async with database.transaction() as session:
        event = await load(session, event_id, lock=True)
        targets = [
            t
            for t in await in_scope(session, event, data.scope)
            if t is event or t.state in RUNNING
        ]
        shift = data.starts_at - event.starts_at
        duration = data.ends_at - data.starts_at
        if duration > timedelta(days=settings.max_event_days):
            raise Problem(
                422, "The request is not valid", f"ends_at: at most {settings.max_event_days} days"
            )
        new_series = await _series_for(session, targets, shift, data, user) if (
            data.scope != "this" and event.series_id is not None
        ) else None  # fmt: skip
        copies = []
        for target in targets:
            starts_at = target.starts_at + shift
            copy = copy_for_new_date(target, starts_at, starts_at + duration, user)
            if new_series is not None:
                copy.series = new_series
                copy.recurrence_id = target.recurrence_id and target.recurrence_id + shift
                copy.detached = target.detached
            copies.append(copy)
        conflicts = await guard_conflicts(
            session,
            settings,
            [booking_of(copy) for copy in copies],
            exclude=[t.id for t in targets],
            override=data.conflict_override_reason,
        )
        for copy in copies:
            session.add(copy)
        await session.flush()
        running = []
        for target, copy in zip(targets, copies, strict=True):
            was_running = target.state in RUNNING
            apply(
                session,
                target,
                EventAction.RESCHEDULE,
                user.id,
                reason=data.reason,
                details={
                    "new_event_id": copy.id,
                    "scope": data.scope,
                    **conflict_details(conflicts, data.conflict_override_reason),
                },
            )
            target.rescheduled_to_id = copy.id
            target.status_reason = data.reason
            note(
                session,
                copy,
                "schedule",
                user.id,
                origin="",
                reason=data.reason,
                details={"rescheduled_from": target.id},
            )
            await announce(
                session,
                outbox,
                target,
                EventRescheduled,
                reason=data.reason,
                new_event_id=copy.id,
                new_starts_at=copy.starts_at,
                new_ends_at=copy.ends_at,
            )
            await announce(session, outbox, copy, EventScheduled, rescheduled_from=target.id)
            await _move_briefing(session, settings, copy)
            if was_running:
                running.append((target, copy))
        for target, copy in running:
            await _tell(
                temporal,
                target,
                "reschedule",
                Moved(
                    user=user.id,
                    roles=sorted(user.roles),
                    reason=data.reason,
                    event_id=copy.id,
                    starts_at=copy.starts_at,
                    ends_at=copy.ends_at,
                ),
            )
    return [event, *copies]


async def _series_for(
    session: AsyncSession,
    targets: list[Event],
    shift: timedelta,
    data: Rescheduling,
    user: User,
) -> Series:
    """The series the moved occurrences form: the old rule from the new first start, if
    the rule still gives each of them; the old series ends before them."""
    old = targets[0].series
    assert old is not None
    first = targets[0].recurrence_id or targets[0].starts_at
    wanted = sorted((t.recurrence_id or t.starts_at) + shift for t in targets)
    rule = recurrence.ending_before(old.rrule, wanted[-1] + timedelta(seconds=1))
    try:
        given = set(recurrence.occurrences(rule, wanted[0], limit=10_000))
    except recurrence.RuleError:
        given = set()
    if not set(wanted) <= given:
        raise Problem(
            422,
            "The series' rule does not fit the new date",
            f"Moved by {shift}, the occurrences no longer follow {old.rrule}; move them "
            "one by one (scope 'this'), or edit the series' drafts.",
        )
    new = Series(
        rrule=rule,
        starts_at=wanted[0],
        duration_seconds=int((data.ends_at - data.starts_at).total_seconds()),
        split_from_id=old.id,
        created_by=user.id,
        created_at=now(),
    )
    session.add(new)
    old.rrule = recurrence.ending_before(old.rrule, first)
    return new


async def _move_briefing(session: AsyncSession, settings: EventsSettings, event: Event) -> None:
    note_ = await session.get(BriefingNote, event.case)
    if note_ is not None and note_.status != "submitted":
        note_.due_at = event.starts_at - timedelta(days=settings.briefing_due_days)


async def complete(
    database: Database, outbox: Outbox, event_id: int, user: User, *, actor: str | None = None
) -> Event:
    """An event without a workflow took place (a press conference or a meeting is
    completed by its workflow at its end)."""
    async with database.transaction() as session:
        event = await load(session, event_id, lock=True)
        if runs_workflow(event):
            raise Problem(
                409,
                "Completes on its own",
                f"A {event.kind.replace('_', ' ')} is completed by its workflow when it ends.",
                state=event.state,
            )
        apply(session, event, EventAction.COMPLETE, actor or user.id)
        await announce(session, outbox, event, EventCompleted)
    return event


async def complete_past(database: Database, outbox: Outbox, moment: datetime) -> int:
    """Scheduled events without a workflow whose end has passed took place."""
    async with database.transaction() as session:
        past = list(
            await session.scalars(
                select(Event)
                .where(
                    Event.state == EventState.SCHEDULED.value,
                    Event.ends_at < moment,
                    Event.kind.not_in(list(WORKFLOW_KINDS)),
                )
                .limit(500)
            )
        )
        for event in past:
            apply(session, event, EventAction.COMPLETE, "meria-events")
            await announce(session, outbox, event, EventCompleted)
    return len(past)


# Where the workflows' activities land.


async def current(session: AsyncSession, event_id: int, *, lock: bool = False) -> Event:
    """The case's event now: the one at the latest date of a rescheduled chain."""
    event = await load(session, event_id, lock=lock)
    seen = {event.id}
    while event.rescheduled_to_id is not None and event.rescheduled_to_id not in seen:
        event = await load(session, event.rescheduled_to_id, lock=lock)
        seen.add(event.id)
    return event


async def _already_done(session: AsyncSession, key: str | None) -> bool:
    if key is None:
        return False
    found = await session.scalar(select(HistoryEntry.id).where(HistoryEntry.idempotency_key == key))
    return found is not None


async def case_of(session: AsyncSession, settings: EventsSettings, event: Event) -> EventCase:
    briefing = await session.get(BriefingNote, event.case)
    actions = await session.scalars(
        select(FollowUpAction)
        .where(FollowUpAction.case_id == event.case)
        .order_by(FollowUpAction.id)
    )
    return EventCase(
        event_id=event.id,
        case_id=event.case,
        kind=event.kind,
        state=event.state,
        subject=event.title_ka,
        title_en=event.title_en,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        public=event.public,
        responsible=event.responsible,
        created_by=event.created_by,
        follow_up_kind=event.follow_up_kind,
        reminder_lead_hours=settings.reminder_lead_hours,
        accreditation_closes_hours=settings.accreditation_closes_hours,
        follow_up_due_hours=settings.follow_up_due_hours,
        briefing_required=briefing is not None,
        briefing_due_at=briefing.due_at if briefing else None,
        briefing_status=briefing.status if briefing else None,
        minutes_due_hours=settings.minutes_due_hours,
        minutes_written=event.minutes_at is not None,
        follow_up_closed=event.follow_up_closed_at is not None,
        advisory_document_id=event.advisory_document_id,
        notice_document_id=event.notice_document_id,
        actions=[action_spec(action) for action in actions],
    )


def action_spec(action: FollowUpAction) -> ActionSpec:
    return ActionSpec(
        id=action.id,
        key=f"action-{action.id}",
        title_ka=action.title_ka,
        owner=action.owner,
        owner_role=action.owner_role,
        due_at=action.due_at,
        status=action.status,
    )


async def case_info(database: Database, settings: EventsSettings, event_id: int) -> EventCase:
    async with database.session() as session:
        return await case_of(session, settings, await current(session, event_id))


async def record_transition(
    database: Database,
    outbox: Outbox,
    settings: EventsSettings,
    event_id: int,
    request: TransitionRequest,
    idempotency_key: str | None,
) -> EventCase:
    """The workflow's own transitions. One that no longer fits (the event was cancelled
    or moved while the workflow asked) changes nothing: the answer shows the state, and
    the workflow already holds the Update that changed it."""
    async with database.transaction() as session:
        event = await current(session, event_id, lock=True)
        if not await _already_done(session, idempotency_key):
            if request.action == "complete" and event.state == EventState.SCHEDULED:
                apply(
                    session, event, EventAction.COMPLETE, request.actor,
                    idempotency_key=idempotency_key,
                )  # fmt: skip
                await announce(session, outbox, event, EventCompleted)
            elif request.action == "close_follow_up" and event.follow_up_closed_at is None:
                event.follow_up_closed_at = now()
                note(
                    session, event, "close_follow_up", request.actor,
                    idempotency_key=idempotency_key,
                )  # fmt: skip
        return await case_of(session, settings, event)


KEY = re.compile(r"-task-(?P<key>[a-z_]+(?:-[0-9]+)?)(?:-r[0-9]+)?$")


def _action_id(key: str) -> int:
    """The follow-up action's id in a task key `action-<id>` (0, no action, if none fits)."""
    return whole_number(key.split("-", 1)[1]) or 0


def task_key(task_id: str) -> str:
    found = KEY.search(task_id)
    if found is None:
        raise Problem(422, "Unknown task", f"{task_id!r} is not a task of an event.")
    return found["key"]


async def record_task_outcome(
    database: Database,
    event_id: int,
    key: str,
    outcome: TaskOutcome,
    idempotency_key: str | None,
) -> None:
    async with database.transaction() as session:
        event = await current(session, event_id, lock=True)
        if await _already_done(session, idempotency_key):
            return
        details: dict[str, Any] = {"task": key, "outcome": outcome.outcome}
        if key.startswith("action-"):
            action = await session.get(FollowUpAction, _action_id(key))
            if action is not None and action.status == "open":
                action.status = "dropped" if outcome.outcome == "dropped" else "done"
                action.closed_by, action.closed_at = outcome.actor, outcome.at
                action.close_note = outcome.comment
        elif key == "briefing":
            briefing = await session.get(BriefingNote, event.case)
            if briefing is not None and briefing.status != "submitted":
                briefing.status = "submitted"
                briefing.submitted_by, briefing.submitted_at = outcome.actor, outcome.at
        note(
            session,
            event,
            f"task_{outcome.outcome}",
            outcome.actor,
            reason=outcome.comment,
            details=details,
            idempotency_key=idempotency_key,
        )


async def task_notice(
    database: Database,
    outbox: Outbox,
    event_id: int,
    notice: TaskNotice,
    idempotency_key: str | None,
) -> None:
    """A task's reminder or escalation becomes an event on the bus and a history entry."""
    async with database.transaction() as session:
        event = await current(session, event_id, lock=True)
        if await _already_done(session, idempotency_key):
            return
        key = task_key(notice.task_id)
        reminder = notice.kind == "reminder"
        note(
            session,
            event,
            "task_reminder_due" if reminder else "task_overdue",
            WORKER,
            details={"task_id": notice.task_id, "task": key, "awaiting": notice.awaiting},
            idempotency_key=idempotency_key,
        )
        title = LocalizedText(ka=event.title_ka, en=event.title_en)
        bus_event: BusEvent
        if key.startswith("action-"):
            action = await session.get(FollowUpAction, _action_id(key))
            if action is None:
                return
            if reminder:
                action.reminded_at = now()
            else:
                action.overdue_at = now()
            fields: dict[str, Any] = {
                "action_id": action.id,
                "event_id": event.id,
                "case_id": event.case,
                "event_title": title,
                "title": LocalizedText(ka=action.title_ka, en=action.title_en),
                "owner": action.owner,
                "awaiting": notice.awaiting,
                "due_at": notice.due_at,
                "task_id": notice.task_id,
            }
            bus_event = ActionReminderDue(**fields) if reminder else ActionOverdue(**fields)
        else:
            fields = {
                "task_id": notice.task_id,
                "step": notice.step,
                "event_id": event.id,
                "case_id": event.case,
                "event_title": title,
                "responsible": event.responsible,
                "awaiting": notice.awaiting,
                "due_at": notice.due_at,
            }
            bus_event = EventTaskReminderDue(**fields) if reminder else EventTaskOverdue(**fields)
        await outbox.add(session, bus_event, about=f"event:{event.id}")


def _when_and_where(event: Event, lang: str) -> tuple[str, str]:
    venue = event.venue
    if lang == "en":
        place = (venue.name_en or venue.name_ka) if venue else (event.place_en or event.place_ka)
    else:
        place = venue.name_ka if venue else event.place_ka
    return spoken_date(event.starts_at, lang), place or ""


async def announcement_draft(
    database: Database, event_id: int, purpose: Literal["advisory", "notice"]
) -> AnnouncementDraft:
    """The media advisory of a press conference, or the notice of its cancellation, as
    the publishing service will take it (HTML it sanitises itself)."""
    async with database.session() as session:
        event = await current(session, event_id)
        if event.kind != "press_conference":
            raise Problem(409, "Not a press conference", f"Event {event.id} is a {event.kind}.")
        names_ka = ", ".join(b.official.name_ka for b in event.officials)
        names_en = ", ".join(b.official.name_en or b.official.name_ka for b in event.officials)
        texts: list[tuple[str, str, str]] = []
        for lang, index, names in (("ka", 0, names_ka), ("en", 1, names_en)):
            when, where = _when_and_where(event, lang)
            title = event.title_en if lang == "en" else event.title_ka
            if purpose == "advisory":
                paragraphs = [
                    ADVISORY["summary"][index].format(when=when, place=where),
                    (event.description_en if lang == "en" else event.description_ka) or "",
                    ADVISORY["officials"][index].format(names=names) if names else "",
                    ADVISORY["accreditation"][index].format(
                        genitive=municipality.current().forms("ka").genitive,
                        city_hall=municipality.current().city_hall("en"),
                    ),
                ]
                heading = ADVISORY["title"][index].format(title=title or event.title_ka)
                summary = ADVISORY["summary"][index].format(when=when, place=where)
            else:
                paragraphs = [
                    NOTICE["summary"][index].format(when=when),
                    NOTICE["reason"][index].format(reason=event.status_reason or ""),
                ]
                heading = NOTICE["title"][index].format(title=title or event.title_ka)
                summary = NOTICE["summary"][index].format(when=when)
            body = "".join(f"<p>{_escape(p)}</p>" for p in paragraphs if p)
            texts.append((heading, summary, body))
        english = bool(event.title_en)
        return AnnouncementDraft(
            purpose=purpose,
            author=event.responsible or event.created_by,
            document_id=event.advisory_document_id
            if purpose == "advisory"
            else event.notice_document_id,
            title_ka=texts[0][0],
            title_en=texts[1][0] if english else None,
            summary_ka=texts[0][1],
            summary_en=texts[1][1] if english else None,
            body_ka=texts[0][2],
            body_en=texts[1][2] if english else None,
        )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def record_document(
    database: Database, event_id: int, record: DocumentRecord, idempotency_key: str | None
) -> None:
    async with database.transaction() as session:
        event = await current(session, event_id, lock=True)
        if await _already_done(session, idempotency_key):
            return
        if record.purpose == "advisory":
            event.advisory_document_id = record.document_id
        else:
            event.notice_document_id = record.document_id
        note(
            session,
            event,
            f"{record.purpose}_created",
            WORKER,
            details={"document_id": record.document_id},
            idempotency_key=idempotency_key,
        )
