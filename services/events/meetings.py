"""What gathers around an event: its participants and their answers to the invitation, its
agenda and minutes, the briefing note before a meeting with a foundation or NGO, the
follow-up actions after a meeting, and the press release or transcript after a press
conference.

Work a workflow waits for (the briefing note, the minutes, an action, the press release)
is written here and handed to the waiting task as an Update with the verified user, in
the same transaction: if the task refuses (another person's task, already closed), the
write does not happen either.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from meria.auth import User
from meria.cases.events import ADD_ACTION, NewAction
from meria.cases.tasks import DECIDE, TaskDecision, TaskResult
from meria.db import Database
from meria.problems import Problem
from meria.temporal import send_update
from services.events.events import load, note, now, workflow_id
from services.events.invitations import rsvp_url
from services.events.lifecycle import (
    action_spec,
    current,
    runs_workflow,
    workflow_status,
    workflows,
)
from services.events.models import AgendaItem, BriefingNote, Event, FollowUpAction, Participant
from services.events.schemas import (
    MEETING_KINDS,
    ActionCompletion,
    ActionCreate,
    ActionDrop,
    AgendaReplace,
    BriefingWrite,
    MinutesWrite,
    ParticipantCreate,
    ParticipantUpdate,
    PressFollowUp,
    RsvpAnswer,
)
from services.events.settings import EventsSettings
from services.events.states import EventState

# Participants and invitations.


async def participant_of(session: AsyncSession, event_id: int, participant_id: int) -> Participant:
    participant = await session.get(Participant, participant_id)
    if participant is None or participant.event_id != event_id:
        raise Problem(404, "No such participant", f"Event {event_id} has no {participant_id}.")
    return participant


def _require_open(event: Event) -> None:
    if event.state not in (EventState.DRAFT, EventState.SCHEDULED, EventState.POSTPONED):
        raise Problem(
            409,
            "The event is closed",
            f"The event is {event.state}; its participants no longer change.",
            state=event.state,
        )


async def _check_room(session: AsyncSession, event: Event, adding: int = 1) -> None:
    if event.venue is None:
        return
    invited = await session.scalar(
        select(func.count())
        .select_from(Participant)
        .where(Participant.event_id == event.id, Participant.rsvp != "declined")
    )
    if int(invited or 0) + adding > event.venue.capacity:
        raise Problem(
            409,
            "The venue is full",
            f"{event.venue.name_ka} holds {event.venue.capacity}, and as many are invited "
            "and have not declined.",
        )


async def add_participant(
    database: Database, event_id: int, data: ParticipantCreate, user: User
) -> Participant:
    async with database.transaction() as session:
        event = await load(session, event_id, lock=True)
        _require_open(event)
        await _check_room(session, event)
        participant = Participant(
            event_id=event.id, **data.model_dump(), created_by=user.id, created_at=now()
        )
        session.add(participant)
        await session.flush()
        note(session, event, "participant_added", user.id, details={"participant": participant.id})
    return participant


async def update_participant(
    database: Database, event_id: int, participant_id: int, data: ParticipantUpdate
) -> Participant:
    async with database.transaction() as session:
        participant = await participant_of(session, event_id, participant_id)
        for name, value in data.model_dump(exclude_unset=True).items():
            if name in ("kind", "full_name") and value is None:
                raise Problem(422, "The request is not valid", f"{name}: required")
            setattr(participant, name, value)
    return participant


async def remove_participant(
    database: Database, event_id: int, participant_id: int, user: User
) -> None:
    async with database.transaction() as session:
        event = await load(session, event_id, lock=True)
        participant = await participant_of(session, event_id, participant_id)
        await session.delete(participant)
        note(
            session, event, "participant_removed", user.id, details={"participant": participant_id}
        )


async def list_participants(database: Database, event_id: int) -> list[Participant]:
    async with database.session() as session:
        await load(session, event_id)
        return list(
            await session.scalars(
                select(Participant).where(Participant.event_id == event_id).order_by(Participant.id)
            )
        )


async def invite(
    database: Database, settings: EventsSettings, event_id: int, participant_id: int, user: User
) -> tuple[Participant, str]:
    """Invite (again): the email with the personal link goes out when the participant has
    an address; the answer comes through the returned link, which replaces any earlier."""
    async with database.transaction() as session:
        event = await load(session, event_id, lock=True)
        _require_open(event)
        participant = await participant_of(session, event_id, participant_id)
        participant.invited_at = now()
        participant.invitation_status = "pending" if participant.email else None
        participant.invitation_attempts = 0
        participant.invitation_error = None
        participant.invitation_sent_at = None
        participant.invitation_not_before = None
        note(session, event, "invited", user.id, details={"participant": participant.id})
    return participant, rsvp_url(settings, participant)


async def record_rsvp(
    database: Database, event_id: int, participant_id: int, answer: RsvpAnswer, actor: str
) -> Participant:
    async with database.transaction() as session:
        event = await load(session, event_id, lock=True)
        _require_open(event)
        participant = await participant_of(session, event_id, participant_id)
        if answer.response != "declined" and participant.rsvp == "declined":
            await _check_room(session, event)
        participant.rsvp = answer.response
        participant.rsvp_note = answer.note
        participant.rsvp_at = now()
        note(
            session, event, "rsvp", actor,
            details={"participant": participant.id, "response": answer.response},
        )  # fmt: skip
    return participant


# Agenda and minutes.


async def replace_agenda(
    database: Database, event_id: int, data: AgendaReplace, user: User
) -> Event:
    async with database.transaction() as session:
        event = await load(session, event_id, lock=True)
        _require_open(event)
        event.agenda = [
            AgendaItem(position=position, **item.model_dump())
            for position, item in enumerate(data.items)
        ]
        note(session, event, "agenda", user.id, details={"items": len(data.items)})
    return event


async def write_minutes(
    database: Database, temporal: Client | None, event_id: int, data: MinutesWrite, user: User
) -> Event:
    """The minutes of an event that has begun; a meeting's minutes task is done with them."""
    async with database.transaction() as session:
        event = await current(session, event_id, lock=True)
        begun = event.state == EventState.SCHEDULED and event.starts_at <= now()
        if event.state != EventState.COMPLETED and not begun:
            raise Problem(
                409,
                "Not yet held",
                f"Minutes are written once the event has begun; it is {event.state}.",
                state=event.state,
            )
        first = event.minutes_at is None
        event.minutes_ka, event.minutes_en = data.minutes_ka, data.minutes_en
        event.minutes_by, event.minutes_at = user.id, now()
        note(session, event, "minutes", user.id)
        if first and event.kind in MEETING_KINDS and runs_workflow(event):
            await _decide_if_open(temporal, event, "minutes", user, "done", None)
    return event


# Briefing notes.


async def briefing_note(database: Database, event_id: int) -> BriefingNote:
    async with database.session() as session:
        event = await load(session, event_id)
        found = await session.get(BriefingNote, event.case)
        if found is None:
            raise Problem(
                404, "No briefing note", "Only meetings with a foundation or NGO have one."
            )
        return found


async def write_briefing(
    database: Database, event_id: int, data: BriefingWrite, user: User
) -> BriefingNote:
    async with database.transaction() as session:
        event = await load(session, event_id, lock=True)
        found = await session.get(BriefingNote, event.case)
        if found is None:
            raise Problem(
                404, "No briefing note", "Only meetings with a foundation or NGO have one."
            )
        found.body_ka, found.body_en = data.body_ka, data.body_en
        found.updated_by, found.updated_at = user.id, now()
        if found.status == "due":
            found.status = "written"
        note(session, event, "briefing_written", user.id)
    return found


async def submit_briefing(
    database: Database, temporal: Client | None, event_id: int, user: User
) -> BriefingNote:
    async with database.transaction() as session:
        event = await current(session, event_id, lock=True)
        found = await session.get(BriefingNote, event.case)
        if found is None or not found.body_ka:
            raise Problem(
                409, "Nothing to submit", "Write the briefing note first: PUT /briefing-note."
            )
        if found.status == "submitted":
            raise Problem(409, "Already submitted", f"Submitted by {found.submitted_by}.")
        found.status = "submitted"
        found.submitted_by, found.submitted_at = user.id, now()
        note(session, event, "briefing_submitted", user.id)
        if runs_workflow(event) and event.state in (EventState.SCHEDULED, EventState.POSTPONED):
            await _decide_if_open(temporal, event, "briefing", user, "done", None)
    return found


# Follow-up actions.


async def list_actions(database: Database, event_id: int) -> list[FollowUpAction]:
    async with database.session() as session:
        event = await load(session, event_id)
        return list(
            await session.scalars(
                select(FollowUpAction)
                .where(FollowUpAction.case_id == event.case)
                .order_by(FollowUpAction.due_at, FollowUpAction.id)
            )
        )


async def add_action(
    database: Database, temporal: Client | None, event_id: int, data: ActionCreate, user: User
) -> FollowUpAction:
    async with database.transaction() as session:
        event = await current(session, event_id, lock=True)
        if event.kind not in MEETING_KINDS:
            raise Problem(409, "Not a meeting", "Follow-up actions belong to meetings.")
        if event.state in (EventState.CANCELLED, EventState.DRAFT) or event.follow_up_closed_at:
            raise Problem(
                409,
                "No follow-up now",
                "The meeting is a draft, cancelled, or its follow-up is closed.",
                state=event.state,
            )
        action = FollowUpAction(
            case_id=event.case,
            event_id=event.id,
            **data.model_dump(),
            status="open",
            created_by=user.id,
            created_at=now(),
        )
        session.add(action)
        await session.flush()
        note(session, event, "action_added", user.id, details={"action": action.id})
        if runs_workflow(event):
            await send_update(
                workflows(temporal),
                workflow_id(event) or "",
                ADD_ACTION,
                NewAction(user=user.id, roles=sorted(user.roles), action=action_spec(action)),
            )
    return action


async def close_action(
    database: Database,
    temporal: Client | None,
    event_id: int,
    action_id: int,
    closing: ActionCompletion | ActionDrop,
    user: User,
) -> FollowUpAction:
    """Done, or dropped with the reason: recorded, and the action's task ends with it."""
    dropping = isinstance(closing, ActionDrop)
    async with database.transaction() as session:
        event = await current(session, event_id, lock=True)
        action = await session.get(FollowUpAction, action_id)
        if action is None or action.case_id != event.case:
            raise Problem(404, "No such action", f"Event {event_id} has no action {action_id}.")
        if action.status != "open":
            raise Problem(409, "Already closed", f"The action is {action.status}.")
        comment = closing.reason if isinstance(closing, ActionDrop) else closing.notes
        action.status = "dropped" if dropping else "done"
        action.closed_by, action.closed_at, action.close_note = user.id, now(), comment
        note(
            session, event, "action_dropped" if dropping else "action_done", user.id,
            reason=comment, details={"action": action.id},
        )  # fmt: skip
        if runs_workflow(event):
            await _decide_if_open(
                temporal, event, f"action-{action.id}", user,
                "dropped" if dropping else "done", comment, required=True,
            )  # fmt: skip
    return action


# The press release or transcript after a press conference.


async def press_follow_up(
    database: Database, temporal: Client | None, event_id: int, data: PressFollowUp, user: User
) -> TaskResult:
    async with database.transaction() as session:
        event = await current(session, event_id, lock=True)
        if event.kind != "press_conference" or event.state != EventState.COMPLETED:
            raise Problem(
                409,
                "Nothing due",
                "The press release or transcript is due after a press conference is held.",
                state=event.state,
            )
        event.follow_up_document_id = data.document_id
        note(
            session, event, "press_follow_up", user.id, reason=data.note,
            details={"document_id": data.document_id},
        )  # fmt: skip
        result = await _decide_if_open(
            temporal, event, event.follow_up_kind or "press_release", user, "done", data.note,
            required=True,
        )  # fmt: skip
        assert result is not None
    return result


# Tasks.


async def _decide_if_open(
    temporal: Client | None,
    event: Event,
    key: str,
    user: User,
    outcome: str,
    comment: str | None,
    *,
    required: bool = False,
) -> TaskResult | None:
    status = await workflow_status(temporal, event)
    task = next((t for t in status.tasks if t.key == key), None) if status else None
    if task is None:
        if required:
            raise Problem(409, "Not open", f"No task {key!r} of this event waits for anyone now.")
        return None
    result: TaskResult = await send_update(
        workflows(temporal),
        task.task_id,
        DECIDE,
        TaskDecision(user=user.id, roles=sorted(user.roles), outcome=outcome, comment=comment),
    )
    return result
