"""Words the events service writes itself: kinds of events, calendars' names, times in
Tbilisi, and the media advisory and the notice of cancellation it drafts for publishing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from meria import municipality

TBILISI = ZoneInfo("Asia/Tbilisi")

KINDS: dict[str, tuple[str, str]] = {
    "ceremony": ("ცერემონია", "Ceremony"),
    "official_meeting": ("ოფიციალური შეხვედრა", "Official meeting"),
    "foundation_meeting": ("შეხვედრა ფონდთან ან არასამთავრობო ორგანიზაციასთან",
                           "Meeting with a foundation or NGO"),
    "press_conference": ("პრესკონფერენცია", "Press conference"),
    "festival": ("ფესტივალი", "Festival"),
    "tourism_event": ("ტურისტული ღონისძიება", "Tourism event"),
    "visit_programme": ("ვიზიტის პროგრამა", "Visit programme"),
}  # fmt: skip

MONTHS_KA = (
    "იანვარი", "თებერვალი", "მარტი", "აპრილი", "მაისი", "ივნისი", "ივლისი", "აგვისტო",
    "სექტემბერი", "ოქტომბერი", "ნოემბერი", "დეკემბერი",
)  # fmt: skip
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def tbilisi_time(moment: datetime) -> str:
    """A moment as the city hall's clocks show it: `2026-12-03 11:00`."""
    return moment.astimezone(TBILISI).strftime("%Y-%m-%d %H:%M")


def spoken_date(moment: datetime, lang: str) -> str:
    """`3 დეკემბერი 2026, 11:00` / `3 December 2026, 11:00` in Tbilisi time."""
    local = moment.astimezone(TBILISI)
    month = (MONTHS_EN if lang == "en" else MONTHS_KA)[local.month - 1]
    return f"{local.day} {month} {local.year}, {local:%H:%M}"


def calendars() -> dict[str, tuple[str, str]]:
    """The calendars' titles, in Georgian and English, named after the municipality."""
    place = municipality.current()
    return {
        "public": (
            f"{place.forms('ka').genitive} მუნიციპალიტეტის ღონისძიებები",
            f"{place.municipality('en')} events",
        ),
        "internal": (
            f"{place.forms('ka').genitive} მერიის სამუშაო კალენდარი",
            f"{place.city_hall('en')}: working calendar",
        ),
    }


ADVISORY = {
    "title": ("მედია-ანონსი: {title}", "Media advisory: {title}"),
    "summary": (
        "{when} — {place}. აკრედიტაცია მერიის მედიასთან ურთიერთობის სამსახურში.",
        "{when} — {place}. Accreditation with the city hall's media office.",
    ),
    "officials": ("მონაწილეობენ: {names}.", "Taking part: {names}."),
    # {genitive}: the municipality's name in the genitive; {city_hall}: its city hall in English.
    "accreditation": (
        "ჟურნალისტებს აკრედიტაციისთვის ვთხოვთ, მიმართონ {genitive} მუნიციპალიტეტის მერიის "
        "საზოგადოებასთან ურთიერთობისა და საერთაშორისო პროექტების სამსახურს.",
        "Journalists are asked to seek accreditation with the Public Relations and "
        "International Projects Department of {city_hall}.",
    ),
}
NOTICE = {
    "title": ("გაუქმდა: {title}", "Cancelled: {title}"),
    "summary": (
        "{when} დაგეგმილი პრესკონფერენცია გაუქმდა.",
        "The press conference planned for {when} is cancelled.",
    ),
    "reason": ("მიზეზი: {reason}", "Reason: {reason}"),
}
