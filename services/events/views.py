"""Events as the API shows them (the table models never leave the service)."""

from __future__ import annotations

from services.events.events import workflow_id
from services.events.models import Event
from services.events.schemas import (
    EventPublic,
    OfficialPublic,
    SeriesPublic,
    VenuePublic,
)
from services.events.states import EventState, allowed_actions


def event_view(event: Event) -> EventPublic:
    series = event.series
    return EventPublic(
        id=event.id,
        case_id=event.case,
        kind=event.kind,
        state=event.state,
        title_ka=event.title_ka,
        title_en=event.title_en,
        description_ka=event.description_ka,
        description_en=event.description_en,
        organiser_ka=event.organiser_ka,
        organiser_en=event.organiser_en,
        partner_ka=event.partner_ka,
        partner_en=event.partner_en,
        partner_id=event.partner_id,
        responsible=event.responsible,
        follow_up_kind=event.follow_up_kind,
        venue=VenuePublic.model_validate(event.venue) if event.venue else None,
        place_ka=event.place_ka,
        place_en=event.place_en,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        public=event.public,
        expected_attendance=event.expected_attendance,
        officials=[OfficialPublic.model_validate(b.official) for b in event.officials],
        photos=event.photos or [],
        video_url=event.video_url,
        series=SeriesPublic(
            id=series.id,
            rrule=series.rrule,
            starts_at=series.starts_at,
            split_from_id=series.split_from_id,
        )
        if series
        else None,
        recurrence_id=event.recurrence_id,
        detached=event.detached,
        rescheduled_from_id=event.rescheduled_from_id,
        rescheduled_to_id=event.rescheduled_to_id,
        status_reason=event.status_reason,
        revision=event.revision,
        source=event.source,
        visit_id=event.visit_id,
        advisory_document_id=event.advisory_document_id,
        notice_document_id=event.notice_document_id,
        follow_up_document_id=event.follow_up_document_id,
        follow_up_closed_at=event.follow_up_closed_at,
        created_by=event.created_by,
        created_at=event.created_at,
        updated_at=event.updated_at,
        workflow_id=workflow_id(event) if event.source == "staff" else None,
        allowed_actions=[action.value for action in allowed_actions(EventState(event.state))],
    )
