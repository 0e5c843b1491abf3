"""How the media service's records look through the API: table models in, public models out."""

from __future__ import annotations

from meria.auth import User
from services.media.accreditation import accepting, badge_code
from services.media.contacts import consented_purposes, erased, may_see_contacts
from services.media.models import (
    Accreditation,
    AccreditationWindow,
    DistributionList,
    Journalist,
    LibraryItem,
    MediaResponse,
    MonitoringItem,
)
from services.media.renditions import is_public
from services.media.schemas import (
    AccreditationPublic,
    AccreditedJournalist,
    ConsentPublic,
    DistributionListPublic,
    ItemPublic,
    JournalistPublic,
    LibraryItemPublic,
    ListRule,
    OutletRef,
    ResponsePublic,
    WindowPublic,
)
from services.media.settings import MediaSettings


def journalist_view(journalist: Journalist, user: User) -> JournalistPublic:
    visible = may_see_contacts(user)
    return JournalistPublic(
        id=journalist.id,
        full_name=journalist.full_name,
        outlet=OutletRef.model_validate(journalist.outlet) if journalist.outlet else None,
        position=journalist.position,
        beats=list(journalist.beats),
        languages=list(journalist.languages),
        contacts_visible=visible,
        email=journalist.email if visible else None,
        phone=journalist.phone if visible else None,
        notes=journalist.notes,
        email_bounced_at=journalist.email_bounced_at,
        unsubscribed_at=journalist.unsubscribed_at,
        consents=[ConsentPublic.model_validate(c) for c in journalist.consents],
        consented_purposes=consented_purposes(journalist),
        erased=erased(journalist),
        created_at=journalist.created_at,
        updated_at=journalist.updated_at,
    )


def list_view(found: DistributionList) -> DistributionListPublic:
    return DistributionListPublic(
        id=found.id,
        name_ka=found.name_ka,
        name_en=found.name_en,
        kind=found.kind,
        rule=ListRule.model_validate(found.rule),
        document_types=list(found.document_types),
        member_count=found.member_count,
        recipient_count=found.recipient_count,
        created_at=found.created_at,
        updated_at=found.updated_at,
    )


def window_view(
    window: AccreditationWindow, settings: MediaSettings, counts: dict[str, int] | None = None
) -> WindowPublic:
    view = WindowPublic.model_validate(window)
    view.accepting = accepting(window)
    view.public_form_url = f"{settings.public_base}/accreditation/{window.event_id}"
    view.requested = sum((counts or {}).values())
    view.approved = (counts or {}).get("approved", 0)
    return view


def accreditation_view(
    accreditation: Accreditation, settings: MediaSettings
) -> AccreditationPublic:
    outlet = accreditation.outlet
    return AccreditationPublic(
        id=accreditation.id,
        event_id=accreditation.event_id,
        event_title_ka=accreditation.window.title_ka,
        journalist_id=accreditation.journalist_id,
        journalist_name=accreditation.journalist.full_name,
        outlet=OutletRef.model_validate(outlet) if outlet else None,
        status=accreditation.status,
        source=accreditation.source,
        role=accreditation.role,
        requested_by=accreditation.requested_by,
        requested_at=accreditation.requested_at,
        decided_by=accreditation.decided_by,
        decided_at=accreditation.decided_at,
        refusal_reason=accreditation.refusal_reason,
        checked_in_at=accreditation.checked_in_at,
        checked_in_by=accreditation.checked_in_by,
        # The staff API's own address (a call with a token), not the journalists' host.
        badge_url=f"{settings.media_url.rstrip('/')}/accreditations/{accreditation.id}/badge.pdf"
        if accreditation.status == "approved"
        else None,
        badge_code=badge_code(accreditation) if accreditation.status == "approved" else None,
    )


def accredited_view(accreditation: Accreditation) -> AccreditedJournalist:
    outlet = accreditation.outlet
    return AccreditedJournalist(
        accreditation_id=accreditation.id,
        journalist_id=accreditation.journalist_id,
        full_name=accreditation.journalist.full_name,
        outlet=outlet.name_ka if outlet else accreditation.outlet_name,
        medium=outlet.medium if outlet else None,
        role=accreditation.role,
        checked_in_at=accreditation.checked_in_at,
    )


def response_view(response: MediaResponse) -> ResponsePublic:
    view = ResponsePublic.model_validate(response)
    if response.completed_at is not None and response.outcome in ("published", "sent"):
        view.on_time = response.completed_at <= response.due_at
    return view


def item_view(item: MonitoringItem, response: MediaResponse | None) -> ItemPublic:
    return ItemPublic(
        id=item.id,
        outlet=OutletRef.model_validate(item.outlet),
        published_on=item.published_on,
        medium=item.medium,
        title=item.title,
        link=item.link,
        summary=item.summary,
        topic=item.topic,
        officials_mentioned=list(item.officials_mentioned),
        sentiment=item.sentiment,
        response_needed=item.response_needed,
        source=item.source,
        response_id=item.response_id,
        response_status=response.status if response else None,
        recorded_by=item.recorded_by,
        recorded_at=item.recorded_at,
    )


def library_view(item: LibraryItem, settings: MediaSettings) -> LibraryItemPublic:
    base = f"{settings.public_base}/library/{item.id}"
    return LibraryItemPublic(
        id=item.id,
        kind=item.kind,
        title_ka=item.title_ka,
        title_en=item.title_en,
        caption_ka=item.caption_ka,
        caption_en=item.caption_en,
        author=item.author,
        taken_on=item.taken_on,
        place=item.place,
        people=list(item.people or []),
        event_id=item.event_id,
        visit_id=item.visit_id,
        licence=item.licence,
        consent=item.consent,
        consent_note=item.consent_note,
        filename=item.filename,
        media_type=item.media_type,
        size=item.size,
        sha256=item.sha256,
        width=item.width,
        height=item.height,
        location_removed=item.location_removed,
        public=is_public(item),
        file_url=f"{base}/file",
        thumbnail_url=f"{base}/thumbnail" if item.thumbnail_name else None,
        uploaded_by=item.uploaded_by,
        uploaded_at=item.uploaded_at,
    )
