"""The events API as the department plans with it: events in Georgian and English through
their states, conflicts at a venue or for an official, time zones, recurring series and
edits to this one, this and following, or all; participants and their answers, agenda
and minutes; the iCalendar feeds read by a real parser; the bus; refusals that change
nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar

from meria.seed import SeedContext
from meria.testing.servers import NatsServer, TemporalDevServer
from services.events.seed import seed
from tests.conftest import DatabaseFactory
from tests.support.events import (
    TBILISI,
    EventsDesk,
    at,
    next_weekday,
    setup_office,
    subject,
    tushetoba,
    wait_for_bus,
    wine_tours,
)
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database


@dataclass
class Office:
    stack: Stack
    http: httpx.AsyncClient
    protocol: EventsDesk
    media: EventsDesk
    head: EventsDesk
    mayor: EventsDesk
    venues: dict[str, int]


@pytest.fixture
async def office(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Office]:
    async with (
        running_stack(
            ["events"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        protocol = EventsDesk(stack, http, "ana.protocol", "protocol_officer")
        head = EventsDesk(stack, http, "tamar.gelashvili", "head_of_department")
        venues = await setup_office(head, protocol)
        yield Office(
            stack,
            http,
            protocol=protocol,
            media=EventsDesk(stack, http, "giorgi.media", "media_officer"),
            head=head,
            mayor=EventsDesk(stack, http, "mayor.akhmeta", "mayor"),
            venues=venues,
        )


def next_year() -> int:
    return datetime.now(TBILISI).year + 1


async def test_a_festival_goes_from_draft_to_the_calendars_and_the_bus(office: Office) -> None:
    protocol = office.protocol
    year = next_year()
    draft = await protocol.create(tushetoba(year, office.venues["omalo"]))
    assert draft["state"] == "draft" and draft["allowed_actions"] == ["edit", "schedule", "cancel"]
    assert draft["title_ka"] == f"თუშეთობა {year}"
    # Stored and answered in UTC: 11:00 in Omalo is 07:00 UTC.
    assert datetime.fromisoformat(draft["starts_at"]) == at(date(year, 8, 1), 11)
    assert draft["starts_at"].startswith(f"{year}-08-01T07:00:00")
    assert [o["code"] for o in draft["officials"]] == ["mayor"]

    # A draft is nobody's business yet: the public calendar does not show it.
    public = await office.http.get(f"{protocol.base}/calendars/public.ics")
    assert public.status_code == 200
    assert not Calendar.from_ical(public.content).walk("VEVENT")

    scheduled = (await protocol.ok("POST", f"/events/{draft['id']}/schedule", json={}))["events"]
    assert scheduled[0]["state"] == "scheduled"

    # The month view (August in Tbilisi) lists it; July does not.
    august = await protocol.ok("GET", "/events", params={"month": f"{year}-08"})
    assert [e["id"] for e in august["items"]] == [draft["id"]]
    july = await protocol.ok("GET", "/events", params={"month": f"{year}-07"})
    assert july["items"] == []

    # Read back by a real parser, at the hour of the clocks in Omalo.
    calendar = Calendar.from_ical(
        (await office.http.get(f"{protocol.base}/calendars/public.ics")).content
    )
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["summary"]) == f"თუშეთობა {year}"
    start = vevent.decoded("dtstart")
    assert start.utcoffset() == timedelta(hours=4) and (start.hour, start.day) == (11, 1)
    assert str(vevent["uid"]) == f"event-{draft['id']}@akhmeta.meria"
    assert str(vevent["status"]) == "CONFIRMED"
    assert "ომალოს ცენტრალური მოედანი" in str(vevent["location"])
    english = Calendar.from_ical(
        (await office.http.get(f"{protocol.base}/calendars/public.ics?lang=en")).content
    )
    assert str(english.walk("VEVENT")[0]["summary"]) == f"Tushetoba {year}"

    events = await wait_for_bus(
        office.stack, lambda found: "event.scheduled" in map(subject, found), "scheduled it"
    )
    fact = next(e for e in events if subject(e) == "event.scheduled")["data"]
    assert fact["event_id"] == draft["id"] and fact["public"] is True
    assert fact["title"] == {"ka": f"თუშეთობა {year}", "en": f"Tushetoba {year}"}
    assert fact["officials"][0]["name"]["ka"] == "ახმეტის მუნიციპალიტეტის მერი"

    # Cancelled with its reason: on the bus and marked so in the feed.
    refused = await protocol.call("POST", f"/events/{draft['id']}/cancel", json={})
    assert refused.status_code == 422
    cancelled = await protocol.ok(
        "POST",
        f"/events/{draft['id']}/cancel",
        json={"reason": "ომალოს გზა მეწყერმა ჩაკეტა"},
    )
    assert cancelled["events"][0]["state"] == "cancelled"
    assert cancelled["events"][0]["status_reason"] == "ომალოს გზა მეწყერმა ჩაკეტა"
    events = await wait_for_bus(
        office.stack, lambda found: "event.cancelled" in map(subject, found), "cancelled it"
    )
    calendar = Calendar.from_ical(
        (await office.http.get(f"{protocol.base}/calendars/public.ics")).content
    )
    assert str(calendar.walk("VEVENT")[0]["status"]) == "CANCELLED"
    history = await protocol.ok("GET", f"/events/{draft['id']}/history")
    assert [h["action"] for h in history] == ["create", "schedule", "cancel"]
    assert history[-1]["reason"] == "ომალოს გზა მეწყერმა ჩაკეტა"


async def test_a_booking_that_overlaps_a_venue_or_an_official_is_refused_naming_the_event(
    office: Office,
) -> None:
    protocol, media = office.protocol, office.media
    day = datetime.now(TBILISI).date() + timedelta(days=20)
    hall = office.venues["hall"]
    first = await protocol.create(
        {
            "kind": "ceremony",
            "title_ka": "ახმეტის საპატიო მოქალაქის წოდების მინიჭების ცერემონია",
            "title_en": "Ceremony conferring the title of honorary citizen of Akhmeta",
            "venue_id": hall,
            "starts_at": at(day, 12).isoformat(),
            "ends_at": at(day, 13).isoformat(),
            "officials": ["mayor"],
            "schedule": True,
        }
    )
    overlapping = {
        "kind": "official_meeting",
        "title_ka": "შეხვედრა ზემო ალვანის სკოლის მშობლებთან",
        "venue_id": hall,
        "starts_at": at(day, 12, 30).isoformat(),
        "ends_at": at(day, 13, 30).isoformat(),
        "officials": ["first-deputy-mayor"],
    }

    # The same hall at an overlapping hour: 409, naming the ceremony; nothing is created.
    refused = await media.call("POST", "/events", json=overlapping)
    assert refused.status_code == 409
    problem = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (
        "ახმეტის საპატიო მოქალაქის" in problem["detail"]
        and f"event {first['id']}" in problem["detail"]
    )
    assert "ახმეტის მერიის სხდომათა დარბაზი" in problem["detail"]
    assert "12:00" in problem["detail"]  # in Tbilisi time
    assert [(c["event_id"], c["on"]) for c in problem["conflicts"]] == [(first["id"], "venue")]
    day_view = await protocol.ok("GET", "/events", params={"month": f"{day:%Y-%m}"})
    assert [e["id"] for e in day_view["items"]] == [first["id"]]

    # The same official elsewhere at that hour: refused as well, naming the official.
    elsewhere = {**overlapping, "venue_id": office.venues["culture_house"], "officials": ["mayor"]}
    refused = await media.call("POST", "/events", json=elsewhere)
    assert refused.status_code == 409
    assert refused.json()["conflicts"][0]["on"] == "official"
    assert "ახმეტის მუნიციპალიტეტის მერი" in refused.json()["detail"]

    # Back to back is no conflict.
    after = {
        **overlapping,
        "starts_at": at(day, 13).isoformat(),
        "ends_at": at(day, 14).isoformat(),
    }
    back_to_back = await media.create(after)
    assert back_to_back["state"] == "draft"

    # Overridden with a reason, it is booked (over both: a draft holds its time too), and
    # the history keeps why.
    booked = await media.create(
        {**overlapping, "conflict_override_reason": "ცერემონია დარბაზის მეორე ნახევარშია"}
    )
    history = await protocol.ok("GET", f"/events/{booked['id']}/history")
    assert history[0]["details"]["conflicts_overridden"] == [first["id"], back_to_back["id"]]
    assert history[0]["reason"] == "ცერემონია დარბაზის მეორე ნახევარშია"

    # The check the form makes before it submits.
    conflicts = await protocol.ok(
        "POST",
        "/conflicts",
        json={
            "starts_at": at(day, 12, 15).isoformat(),
            "ends_at": at(day, 12, 45).isoformat(),
            "officials": ["mayor"],
        },
    )
    assert {c["event_id"] for c in conflicts} == {first["id"]}

    # A cancelled event holds nothing.
    await protocol.ok(
        "POST", f"/events/{first['id']}/cancel", json={"reason": "გადაიდო შემოდგომაზე"}
    )
    assert (
        await protocol.ok(
            "POST",
            "/conflicts",
            json={
                "starts_at": at(day, 12).isoformat(),
                "ends_at": at(day, 13).isoformat(),
                "officials": ["mayor"],
            },
        )
        == []
    )


async def test_times_are_taken_in_any_zone_kept_in_utc_and_shown_in_tbilisi(office: Office) -> None:
    protocol = office.protocol
    year = next_year()
    # 23:30 in Warsaw on 31 December is 02:30 in Akhmeta on 1 January.
    warsaw = ZoneInfo("Europe/Warsaw")
    late = await protocol.create(
        {
            "kind": "official_meeting",
            "title_ka": "ონლაინ შეხვედრა პოლონელ პარტნიორებთან",
            "title_en": "Online meeting with the Polish partners",
            "place_ka": "ონლაინ",
            "starts_at": datetime(year, 12, 31, 23, 30, tzinfo=warsaw).isoformat(),
            "ends_at": datetime(year + 1, 1, 1, 0, 30, tzinfo=warsaw).isoformat(),
        }
    )
    assert late["starts_at"].startswith(f"{year}-12-31T22:30:00")
    january = await protocol.ok("GET", "/events", params={"month": f"{year + 1}-01"})
    december = await protocol.ok("GET", "/events", params={"month": f"{year}-12"})
    assert [e["id"] for e in january["items"]] == [late["id"]]
    assert december["items"] == []

    # A time without its zone is refused, and nothing is made.
    naive = await protocol.call(
        "POST",
        "/events",
        json={
            "kind": "ceremony",
            "title_ka": "ცერემონია",
            "starts_at": f"{year}-03-03T12:00:00",
            "ends_at": f"{year}-03-03T13:00:00",
        },
    )
    assert naive.status_code == 422
    assert "starts_at" in naive.json()["detail"]
    ends_first = await protocol.call(
        "POST",
        "/events",
        json={
            "kind": "ceremony",
            "title_ka": "ცერემონია",
            "starts_at": at(date(year, 3, 3), 13).isoformat(),
            "ends_at": at(date(year, 3, 3), 12).isoformat(),
        },
    )
    assert ends_first.status_code == 422
    total = (await protocol.ok("GET", "/events"))["total"]
    assert total == 1


async def test_a_weekly_series_is_changed_for_one_for_the_following_and_for_all(
    office: Office,
) -> None:
    protocol = office.protocol
    first_saturday = next_weekday(datetime.now(TBILISI).date() + timedelta(days=14), 5)
    created = (await protocol.ok("POST", "/events", json=wine_tours(first_saturday, 8)))["events"]
    assert len(created) == 8
    starts = [datetime.fromisoformat(e["starts_at"]).astimezone(TBILISI) for e in created]
    assert all(s.weekday() == 5 and s.hour == 11 for s in starts)
    assert starts[1] - starts[0] == timedelta(days=7)
    series = created[0]["series"]
    assert series["rrule"] == "FREQ=WEEKLY;COUNT=8;BYDAY=SA"
    assert len({e["series"]["id"] for e in created}) == 1
    ids = [e["id"] for e in created]

    # The series is announced at once, every occurrence of it.
    scheduled = await protocol.ok("POST", f"/events/{ids[0]}/schedule", json={"scope": "all"})
    assert [e["state"] for e in scheduled["events"]] == ["scheduled"] * 8

    # This one: only the third changes, and leaves the rule.
    one = await protocol.ok(
        "PATCH",
        f"/events/{ids[2]}",
        json={"title_ka": "ღვინის ტური — რთველის სპეციალური გამოცემა", "scope": "this"},
    )
    assert [e["id"] for e in one["events"]] == [ids[2]]
    third = await protocol.event(ids[2])
    assert third["detached"] is True and third["title_ka"].endswith("სპეციალური გამოცემა")
    assert (await protocol.event(ids[3]))["title_ka"] == "ღვინის ტური ახმეტის მარნებში"

    # This and following from the fifth: a series of their own from there.
    following = await protocol.ok(
        "PATCH",
        f"/events/{ids[4]}",
        json={"place_ka": "ალავერდის ტაძრის ეზო", "scope": "following"},
    )
    assert [e["id"] for e in following["events"]] == ids[4:]
    assert {e["place_ka"] for e in following["events"]} == {"ალავერდის ტაძრის ეზო"}
    new_series = following["events"][0]["series"]
    assert new_series["id"] != series["id"] and new_series["split_from_id"] == series["id"]
    old = await protocol.event(ids[0])
    assert "UNTIL=" in old["series"]["rrule"] and old["place_ka"] != "ალავერდის ტაძრის ეზო"

    # All: every open occurrence of this series, the one changed on its own included.
    everything = await protocol.ok(
        "PATCH", f"/events/{ids[1]}", json={"title_en": "Wine tour", "scope": "all"}
    )
    assert sorted(e["id"] for e in everything["events"]) == ids[:4]

    # Moving the following occurrences an hour later: each is rescheduled and links to
    # its new event; the new ones form a series that still follows the rule.
    new_start = datetime.fromisoformat(created[5]["starts_at"]) + timedelta(hours=1)
    moved = await protocol.ok(
        "POST",
        f"/events/{ids[5]}/reschedule",
        json={
            "starts_at": new_start.isoformat(),
            "ends_at": (new_start + timedelta(hours=4)).isoformat(),
            "reason": "საღამოს ტური უფრო პოპულარულია",
            "scope": "following",
        },
    )
    copies = moved["events"][1:]
    assert len(copies) == 3
    for original_id, copy in zip(ids[5:], copies, strict=True):
        original = await protocol.event(original_id)
        assert original["state"] == "rescheduled" and original["rescheduled_to_id"] == copy["id"]
        assert copy["rescheduled_from_id"] == original_id and copy["case_id"] == original_id
        assert copy["state"] == "scheduled"
        assert datetime.fromisoformat(copy["starts_at"]).astimezone(TBILISI).hour == 12
    assert copies[0]["series"]["split_from_id"] == new_series["id"]

    # A shift that breaks the rule (Saturday to Sunday) is refused; nothing moves.
    sunday = datetime.fromisoformat(copies[0]["starts_at"]) + timedelta(days=1)
    refused = await protocol.call(
        "POST",
        f"/events/{copies[0]['id']}/reschedule",
        json={
            "starts_at": sunday.isoformat(),
            "ends_at": (sunday + timedelta(hours=4)).isoformat(),
            "reason": "კვირას",
            "scope": "all",
        },
    )
    assert refused.status_code == 422
    assert (await protocol.event(copies[0]["id"]))["state"] == "scheduled"

    # Cancelling all that remain of the first series.
    cancelled = await protocol.ok(
        "POST", f"/events/{ids[0]}/cancel", json={"reason": "სეზონი დასრულდა", "scope": "all"}
    )
    assert sorted(e["id"] for e in cancelled["events"]) == ids[:4]
    assert {e["state"] for e in cancelled["events"]} == {"cancelled"}
    assert (await protocol.event(ids[4]))["state"] == "scheduled"

    # The internal feed carries the moved ones with the UID of their case.
    feed = Calendar.from_ical((await protocol.call("GET", "/calendars/internal.ics")).content)
    by_uid = {str(v["uid"]): v for v in feed.walk("VEVENT")}
    moved_one = by_uid[f"event-{ids[5]}@akhmeta.meria"]
    assert moved_one.decoded("dtstart").hour == 12
    assert int(moved_one["sequence"]) > 0


async def test_a_scheduled_event_moves_only_by_rescheduling_and_the_table_refuses_the_rest(
    office: Office,
) -> None:
    protocol = office.protocol
    day = datetime.now(TBILISI).date() + timedelta(days=30)
    event = await protocol.create(
        {
            "kind": "ceremony",
            "title_ka": "ახმეტის დღესასწაული — ქალაქის დღე",
            "title_en": "Akhmeta Day",
            "venue_id": office.venues["culture_house"],
            "starts_at": at(day, 17).isoformat(),
            "ends_at": at(day, 19).isoformat(),
            "public": True,
            "schedule": True,
        }
    )
    refused = await protocol.call(
        "PATCH", f"/events/{event['id']}", json={"starts_at": at(day, 18).isoformat()}
    )
    assert refused.status_code == 409 and "reschedule" in refused.json()["detail"]

    completing_draft = await protocol.create(
        {
            "kind": "ceremony",
            "title_ka": "გახსნა",
            "starts_at": at(day, 9).isoformat(),
            "ends_at": at(day, 10).isoformat(),
        }
    )
    refused = await protocol.call("POST", f"/events/{completing_draft['id']}/complete")
    assert refused.status_code == 409
    assert refused.json()["state"] == "draft"
    assert refused.json()["allowed"] == ["edit", "schedule", "cancel"]

    postponed = await protocol.ok(
        "POST", f"/events/{event['id']}/postpone", json={"reason": "ამინდის გამო"}
    )
    assert postponed["events"][0]["state"] == "postponed"
    # Postponed, it holds no time: the hall is free at that hour.
    assert (
        await protocol.ok(
            "POST",
            "/conflicts",
            json={
                "starts_at": at(day, 17).isoformat(),
                "ends_at": at(day, 18).isoformat(),
                "venue_id": office.venues["culture_house"],
            },
        )
        == []
    )
    moved = await protocol.ok(
        "POST",
        f"/events/{event['id']}/reschedule",
        json={
            "starts_at": at(day + timedelta(days=7), 17).isoformat(),
            "ends_at": at(day + timedelta(days=7), 19).isoformat(),
            "reason": "ახალი თარიღი შეთანხმდა",
        },
    )
    original, new = moved["events"]
    assert original["state"] == "rescheduled" and original["rescheduled_to_id"] == new["id"]
    assert new["state"] == "scheduled" and new["case_id"] == event["id"]
    again = await protocol.call(
        "POST", f"/events/{event['id']}/cancel", json={"reason": "უკვე გადატანილია"}
    )
    assert again.status_code == 409 and again.json()["state"] == "rescheduled"

    # Only planners plan; the mayor reads.
    refused = await office.mayor.call("POST", f"/events/{new['id']}/cancel", json={"reason": "არა"})
    assert refused.status_code == 403
    assert (await office.mayor.event(new["id"]))["state"] == "scheduled"
    events = await wait_for_bus(
        office.stack,
        lambda found: "event.rescheduled" in map(subject, found),
        "rescheduled it",
    )
    moved_fact = next(e for e in events if subject(e) == "event.rescheduled")["data"]
    assert moved_fact["new_event_id"] == new["id"]


async def test_participants_answer_their_invitations_within_the_venues_capacity(
    office: Office,
) -> None:
    protocol = office.protocol
    day = datetime.now(TBILISI).date() + timedelta(days=10)
    await protocol.ok("PATCH", f"/venues/{office.venues['hall']}", json={"capacity": 2})
    event = await protocol.create(
        {
            "kind": "official_meeting",
            "title_ka": "სამუშაო შეხვედრა თუშეთის საზაფხულო სეზონის მომზადებაზე",
            "venue_id": office.venues["hall"],
            "starts_at": at(day, 10).isoformat(),
            "ends_at": at(day, 11).isoformat(),
        }
    )
    path = f"/events/{event['id']}/participants"
    guide = await protocol.ok(
        "POST",
        path,
        json={
            "kind": "guest",
            "full_name": "ნათია ბაღაკაშვილი",
            "organisation": "თუშეთის გიდების ასოციაცია",
            "email": "natia@example.ge",
        },
    )
    await protocol.ok("POST", path, json={"kind": "staff", "full_name": "ლევან ჩოხელი"})
    full = await protocol.call("POST", path, json={"kind": "guest", "full_name": "მესამე"})
    assert full.status_code == 409 and "2" in full.json()["detail"]
    assert len(await protocol.ok("GET", path)) == 2

    invitation = await protocol.ok("POST", f"{path}/{guide['id']}/invitation")
    assert invitation["rsvp_url"].startswith(office.stack.urls["events"] + "/rsvp/")
    answer = await office.http.post(
        invitation["rsvp_url"], json={"response": "declined", "note": "ვიქნები ომალოში"}
    )
    assert answer.status_code == 200 and answer.json() == {"response": "declined"}
    forged = await office.http.post(
        invitation["rsvp_url"][:-3] + "xyz", json={"response": "accepted"}
    )
    assert forged.status_code == 404
    (found,) = [p for p in await protocol.ok("GET", path) if p["id"] == guide["id"]]
    assert found["rsvp"] == "declined" and found["rsvp_note"] == "ვიქნები ომალოში"
    # A declined invitation frees a seat.
    assert (
        await protocol.call("POST", path, json={"kind": "guest", "full_name": "მესამე"})
    ).status_code == 201

    agenda = await protocol.ok(
        "PUT",
        f"/events/{event['id']}/agenda",
        json={
            "items": [
                {
                    "title_ka": "გზის მდგომარეობა",
                    "presenter": "ინფრასტრუქტურის სამსახური",
                    "duration_minutes": 20,
                },
                {"title_ka": "სასტუმროების მზადყოფნა", "title_en": "Guesthouses' readiness"},
            ]
        },
    )
    assert [item["position"] for item in agenda] == [0, 1]
    early = await protocol.call(
        "PUT", f"/events/{event['id']}/minutes", json={"minutes_ka": "ოქმი"}
    )
    assert early.status_code == 409
    assert (await protocol.ok("GET", f"/events/{event['id']}/minutes"))["minutes_ka"] is None


async def test_officials_calendars_open_with_a_token_or_their_signed_link(office: Office) -> None:
    protocol = office.protocol
    day = datetime.now(TBILISI).date() + timedelta(days=5)
    await protocol.create(
        {
            "kind": "official_meeting",
            "title_ka": "შეხვედრა საკრებულოს ფრაქციებთან",
            "place_ka": "საკრებულო",
            "starts_at": at(day, 10).isoformat(),
            "ends_at": at(day, 11).isoformat(),
            "officials": ["council-chair"],
        }
    )
    anonymous = await office.http.get(f"{protocol.base}/calendars/officials/council-chair.ics")
    assert anonymous.status_code == 401
    links = {link["name"]: link["url"] for link in await protocol.ok("GET", "/calendars")}
    feed = await office.http.get(links["official:council-chair"])
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.content)
    assert str(calendar["x-wr-calname"]) == "ახმეტის მუნიციპალიტეტის საკრებულოს თავმჯდომარე"
    (vevent,) = calendar.walk("VEVENT")
    # A draft shows as tentative in the city hall's own calendars.
    assert str(vevent["status"]) == "TENTATIVE"
    wrong = links["official:council-chair"].replace("council-chair.ics", "mayor.ics")
    assert (await office.http.get(wrong)).status_code == 401
    mayor_feed = await protocol.call("GET", "/calendars/officials/mayor.ics")
    assert not Calendar.from_ical(mayor_feed.content).walk("VEVENT")


async def test_the_demo_events_are_made_once_in_georgian_and_english(office: Office) -> None:
    context = SeedContext(office.stack.operator_settings(), office.http)
    created = await seed(context)
    assert created == 14  # six events, and eight Saturdays of wine tours
    assert await seed(context) == 0
    found = (await office.protocol.ok("GET", "/events", params={"limit": 100}))["items"]
    titles = {event["title_ka"] for event in found}
    assert "მერის პრესკონფერენცია თუშეთის გზის სეზონის გახსნის შესახებ" in titles
    assert any(title.startswith("თუშეთობა") for title in titles)
    assert any(event["title_en"] and "Wine Festival" in event["title_en"] for event in found)
    assert {event["state"] for event in found} == {"scheduled", "draft"}
    assert len(await office.protocol.ok("GET", "/venues")) == 4


async def test_a_month_or_a_moment_outside_the_calendar_is_refused_not_failed(
    office: Office,
) -> None:
    # Year 0 matched the pattern and broke datetime (a 500); the last month of 2199 still
    # has a following month to end at.
    for month in ("0000-01", "9999-12", "2026-13"):
        refused = await office.protocol.call("GET", "/events", params={"month": month})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["errors"][0]["field"] == "month"
    last = await office.protocol.call("GET", "/events", params={"month": "2199-12"})
    assert last.status_code == 200 and last.json()["items"] == []
    # So is a moment at the calendar's edge: the first day of year 1 less a week's search.
    for moment in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-12-07T10:00:00"):
        refused = await office.protocol.call("GET", "/events", params={"from": moment})
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "from"


async def test_an_outcome_for_an_action_that_cannot_exist_changes_nothing(office: Office) -> None:
    event = await office.protocol.create(tushetoba(next_year(), office.venues["omalo"]))
    worker = office.stack.service_headers()
    base = f"{office.stack.urls['events']}/events/{event['id']}"
    outcome = {"outcome": "done", "actor": "ana.protocol", "at": datetime.now(TBILISI).isoformat()}
    # The key's number past the database's integers, or none at all, was a 500.
    for key in ("action-99999999999999999999", "action-", "action-x"):
        answer = await office.http.post(f"{base}/tasks/{key}/outcome", headers=worker, json=outcome)
        assert answer.status_code == 204, f"{key}: {answer.text}"
