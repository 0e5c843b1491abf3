"""Checklist templates: the logistics tasks a visit of each kind starts with, and when each
falls due, counted in days from the arrival or the departure.

The department's practice: the invitation or visa-support letter a month ahead (a
Schengen or Georgian visa takes two to four weeks), accommodation two weeks ahead,
transport and interpretation a week ahead. A visit's tasks are copied from its template
when the visit is requested and are then the visit's own to edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

TBILISI = ZoneInfo("Asia/Tbilisi")

VisitKind = Literal["incoming_official", "incoming_working", "outgoing_official", "outgoing_study"]
Anchor = Literal["arrival", "departure"]
VISIT_KINDS: tuple[str, ...] = VisitKind.__args__  # type: ignore[attr-defined]


def direction_of(kind: str) -> Literal["incoming", "outgoing"]:
    return "incoming" if kind.startswith("incoming") else "outgoing"


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title_ka: str
    title_en: str
    anchor: Anchor
    offset_days: int
    required: bool = True
    owner_role: str = "protocol_officer"


def _item(
    key: str,
    title_ka: str,
    title_en: str,
    offset_days: int,
    *,
    anchor: Anchor = "arrival",
    required: bool = True,
    owner_role: str = "protocol_officer",
) -> ChecklistItem:
    return ChecklistItem(key, title_ka, title_en, anchor, offset_days, required, owner_role)


_INVITATION = _item(
    "invitation_letter",
    "მოსაწვევი ან ვიზის მხარდამჭერი წერილი",
    "Invitation or visa-support letter",
    -30,
)
_BUDGET = _item(
    "budget_approval", "ბიუჯეტის დამტკიცება", "Budget approval", -21,
    owner_role="head_of_department",
)  # fmt: skip
_ACCOMMODATION = _item("accommodation", "განთავსება სასტუმროში", "Accommodation", -14)
_PROGRAMME = _item("programme", "პროგრამა და შეხვედრები", "Programme and meetings", -10)
_TRANSPORT = _item("transport", "ტრანსპორტი", "Transport", -7)
_INTERPRETATION = _item("interpretation", "თარჯიმანი", "Interpretation", -7)
_CATERING = _item("catering", "კვება", "Catering", -7)
_SECURITY = _item("security", "უსაფრთხოება", "Security", -5)
_GIFTS = _item("gifts", "საჩუქრები", "Gifts", -5, required=False)
_MEDIA = _item(
    "media_coverage", "მედიაში გაშუქება", "Media coverage", -3,
    required=False, owner_role="media_officer",
)  # fmt: skip
_WELCOME = _item(
    "welcome_pack", "სტუმრების საინფორმაციო პაკეტი", "Welcome pack for the guests", -3,
    required=False,
)  # fmt: skip
_THANKS = _item(
    "thank_you_letters", "სამადლობელი წერილები", "Thank-you letters", 5,
    anchor="departure", required=False,
)  # fmt: skip

_CONFIRMATION = _item(
    "participation_confirmed",
    "მონაწილეობის დადასტურება მასპინძლისთვის",
    "Participation confirmed to the hosts",
    -30,
)
_VISAS = _item("visas", "ვიზები", "Visas", -30)
_TICKETS = _item("tickets", "ავიაბილეთები", "Tickets", -21)
_PER_DIEM = _item(
    "per_diem", "მივლინების ხარჯები (დღიური)", "Per diem and travel advance", -7,
    owner_role="head_of_department",
)  # fmt: skip
_INSURANCE = _item(
    "travel_insurance", "სამოგზაურო დაზღვევა", "Travel insurance", -10, required=False
)
_BRIEFING = _item("briefing_materials", "ბრიფინგის მასალები", "Briefing materials", -5)
_HOST_PROGRAMME = _item(
    "programme", "პროგრამის შეთანხმება მასპინძელთან", "Programme agreed with the hosts", -10
)
_TRAVEL_INTERPRETATION = _item("interpretation", "თარჯიმანი", "Interpretation", -7, required=False)

TEMPLATES: dict[str, tuple[ChecklistItem, ...]] = {
    "incoming_official": (
        _INVITATION, _BUDGET, _ACCOMMODATION, _PROGRAMME, _TRANSPORT, _INTERPRETATION,
        _CATERING, _SECURITY, _GIFTS, _MEDIA, _WELCOME, _THANKS,
    ),
    "incoming_working": (
        _INVITATION, _ACCOMMODATION, _PROGRAMME, _TRANSPORT, _INTERPRETATION, _CATERING,
    ),
    "outgoing_official": (
        _CONFIRMATION, _VISAS, _BUDGET, _TICKETS, _ACCOMMODATION, _HOST_PROGRAMME, _INSURANCE,
        _PER_DIEM, _TRAVEL_INTERPRETATION, _BRIEFING, _GIFTS, _MEDIA,
    ),
    "outgoing_study": (_VISAS, _BUDGET, _TICKETS, _ACCOMMODATION, _PER_DIEM, _BRIEFING),
}  # fmt: skip


def due_at(
    anchor: Anchor, offset_days: int, arrival_on: date, departure_on: date, hour: int
) -> datetime:
    """The end of the working day, Tbilisi time, `offset_days` from arrival or departure."""
    day = (arrival_on if anchor == "arrival" else departure_on) + timedelta(days=offset_days)
    return datetime.combine(day, time(hour), tzinfo=TBILISI).astimezone(UTC)


def day_start(day: date) -> datetime:
    """Midnight in Tbilisi at the start of `day`, as a moment in UTC."""
    return datetime.combine(day, time(0), tzinfo=TBILISI).astimezone(UTC)
