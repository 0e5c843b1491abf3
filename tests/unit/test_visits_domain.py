"""The visits domain without I/O: the state table, checklists and due dates, dates that
move, the programme's calendar, and what the API refuses at the door."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from pydantic import ValidationError

from services.visits import checklists
from services.visits.calendar import programme_calendar
from services.visits.models import LogisticsTask, ProgrammeItem, Visit
from services.visits.schemas import (
    PROJECT_STAGES,
    ApprovalDecision,
    BudgetLineCreate,
    Postponement,
    TaskWaiver,
    VisitCreate,
)
from services.visits.settings import VisitsSettings
from services.visits.states import (
    TransitionRefused,
    VisitAction,
    VisitStatus,
    allowed_actions,
    next_status,
)
from services.visits.visits import move_due_dates

S, A = VisitStatus, VisitAction


def test_a_visit_goes_from_request_to_closed() -> None:
    status = S.REQUESTED
    for action in (A.APPROVE, A.START_PREPARATION, A.BECOME_READY, A.BEGIN, A.END, A.CLOSE):
        status = next_status(status, action)
    assert status is S.CLOSED
    assert allowed_actions(S.CLOSED) == []


def test_what_a_visit_under_way_may_not_do() -> None:
    for action in (A.POSTPONE, A.CANCEL, A.CHANGE_DATES):
        with pytest.raises(TransitionRefused, match="under way cannot"):
            next_status(S.UNDER_WAY, action)
    assert next_status(S.POSTPONED, A.RESUME) is S.IN_PREPARATION
    assert next_status(S.POSTPONED, A.RESUME_REQUEST) is S.REQUESTED
    assert next_status(S.REQUESTED, A.DECLINE) is S.CANCELLED
    assert next_status(S.READY, A.REOPEN_PREPARATION) is S.IN_PREPARATION


def test_due_dates_fall_at_the_end_of_a_tbilisi_working_day() -> None:
    arrival = date(2027, 5, 12)
    due = checklists.due_at("arrival", -30, arrival, arrival + timedelta(days=2), 18)
    # 18:00 in Tbilisi (UTC+4, no summer time) is 14:00 UTC, thirty days before.
    assert due == datetime(2027, 4, 12, 14, 0, tzinfo=UTC)
    after = checklists.due_at("departure", 5, arrival, date(2027, 5, 14), 18)
    assert after == datetime(2027, 5, 19, 14, 0, tzinfo=UTC)
    assert checklists.day_start(arrival) == datetime(2027, 5, 11, 20, 0, tzinfo=UTC)


def test_every_kind_of_visit_has_a_checklist_of_distinct_tasks() -> None:
    assert set(checklists.TEMPLATES) == set(checklists.VISIT_KINDS)
    for items in checklists.TEMPLATES.values():
        keys = [item.key for item in items]
        assert len(keys) == len(set(keys))
        assert all(item.title_ka and item.title_en for item in items)
    assert len(checklists.TEMPLATES["incoming_official"]) == 12
    assert checklists.direction_of("outgoing_study") == "outgoing"


def _visit(arrival: date) -> Visit:
    visit = Visit(id=3, arrival_on=arrival, departure_on=arrival + timedelta(days=2), tasks=[])
    settings = VisitsSettings()
    for key, anchor, offset in (("accommodation", "arrival", -14), ("thanks", "departure", 5)):
        visit.tasks.append(
            LogisticsTask(
                key=key,
                anchor=anchor,
                offset_days=offset,
                due_overridden=False,
                status="open",
                due_at=checklists.due_at(
                    anchor, offset, visit.arrival_on, visit.departure_on, settings.task_due_hour
                ),
            )
        )
    return visit


def test_new_dates_move_open_tasks_and_those_set_by_hand_by_as_much() -> None:
    arrival = date(2027, 5, 12)
    visit = _visit(arrival)
    by_hand = datetime(2027, 4, 20, 8, 0, tzinfo=UTC)
    visit.tasks[0].due_at, visit.tasks[0].due_overridden = by_hand, True
    done = LogisticsTask(key="done", anchor="arrival", offset_days=-7, status="done",
                         due_overridden=False, due_at=by_hand)  # fmt: skip
    visit.tasks.append(done)

    dues = move_due_dates(visit, arrival + timedelta(days=7), arrival + timedelta(days=10),
                          VisitsSettings())  # fmt: skip

    assert dues["accommodation"] == by_hand + timedelta(days=7)
    # The departure moved by eight days, and the thank-you letters with it.
    assert dues["thanks"] == datetime(2027, 5, 27, 14, 0, tzinfo=UTC)
    assert "done" not in dues and done.due_at == by_hand
    assert visit.arrival_on == arrival + timedelta(days=7)


def test_the_programme_calendar_carries_tbilisi_time_and_georgian_text() -> None:
    arrival = date(2027, 5, 12)
    visit = _visit(arrival)
    visit.title_ka, visit.title_en = "ბირშტონასის დელეგაციის ვიზიტი", "Birštonas delegation"
    visit.programme = [
        ProgrammeItem(
            id=1,
            kind="meal",
            starts_at=datetime(2027, 5, 12, 15, 0, tzinfo=UTC),
            ends_at=datetime(2027, 5, 12, 17, 0, tzinfo=UTC),
            title_ka="ოფიციალური ვახშამი",
            title_en=None,
            place_ka="რესტორანი „ალაზანი“",
            place_en=None,
            participants=["ახმეტის მერი"],
            notes="ვეგეტარიანული მენიუ ორი სტუმრისთვის",
            sequence=2,
            updated_at=datetime(2027, 5, 1, tzinfo=UTC),
        )
    ]
    calendar = Calendar.from_ical(programme_calendar(visit, "en"))
    event = calendar.walk("VEVENT")[0]
    # No English title: the Georgian one stands.
    assert str(event["SUMMARY"]) == "ოფიციალური ვახშამი"
    assert event["DTSTART"].dt.hour == 19 and event["DTSTART"].params["TZID"] == "Asia/Tbilisi"
    assert str(event["CATEGORIES"].cats[0]) == "Meal"
    assert "ვეგეტარიანული" in str(event["DESCRIPTION"])
    assert str(calendar["X-WR-CALNAME"]) == "Birštonas delegation"


def test_refusals_at_the_door() -> None:
    base = {
        "kind": "incoming_working",
        "title_ka": "სამუშაო ვიზიტი",
        "purpose_ka": "გამოცდილების გაზიარება",
        "country": "EE",
        "arrival_on": "2027-05-12",
        "departure_on": "2027-05-13",
    }
    assert VisitCreate.model_validate(base).country == "EE"
    for wrong in ({"country": "ZZ"}, {"departure_on": "2027-05-11"},
                  {"departure_on": "2027-09-01"}, {"languages": ["xx-yy"]}):  # fmt: skip
        with pytest.raises(ValidationError):
            VisitCreate.model_validate({**base, **wrong})
    with pytest.raises(ValidationError, match="both new dates"):
        Postponement(reason="მიზეზი", arrival_on=date(2027, 6, 1))
    with pytest.raises(ValidationError):
        TaskWaiver(reason="  ")
    with pytest.raises(ValidationError, match="reason"):
        ApprovalDecision(outcome="decline")
    with pytest.raises(ValidationError):
        BudgetLineCreate(category="meals", description_ka="სადილი", planned_gel="12.345")  # type: ignore[arg-type]


def test_a_project_is_implemented_only_once_awarded() -> None:
    assert "implementation" not in PROJECT_STAGES["application"]
    assert PROJECT_STAGES["awarded"] == ("implementation",)
    assert PROJECT_STAGES["rejected"] == ()
