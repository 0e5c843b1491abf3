"""The events domain without I/O: the state table, recurrence rules in Tbilisi wall time,
the names of tasks, and how a conflict is worded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.events import recurrence
from services.events.conflicts import conflict_problem
from services.events.lifecycle import task_key
from services.events.schemas import Conflict
from services.events.states import (
    HOLDS_TIME,
    TRANSITIONS,
    EventAction,
    EventState,
    TransitionRefused,
    allowed_actions,
    next_state,
)

TBILISI = ZoneInfo("Asia/Tbilisi")
S, A = EventState, EventAction


def test_the_lifecycle_of_an_event() -> None:
    path = [A.SCHEDULE, A.POSTPONE, A.RESCHEDULE]
    state = S.DRAFT
    for action in path:
        state = next_state(state, action)
    assert state is S.RESCHEDULED
    assert next_state(S.SCHEDULED, A.COMPLETE) is S.COMPLETED
    assert next_state(S.POSTPONED, A.CANCEL) is S.CANCELLED
    # History never changes again.
    for final in (S.RESCHEDULED, S.CANCELLED, S.COMPLETED):
        assert allowed_actions(final) == []
    assert {S.DRAFT, S.SCHEDULED} == HOLDS_TIME


def test_a_refused_transition_names_the_state_and_what_it_allows() -> None:
    with pytest.raises(TransitionRefused) as refused:
        next_state(S.DRAFT, A.COMPLETE)
    assert str(refused.value) == (
        "an event that is draft cannot complete; allowed: edit, schedule, cancel"
    )
    with pytest.raises(TransitionRefused):
        next_state(S.POSTPONED, A.POSTPONE)
    assert (S.DRAFT, A.RESCHEDULE) not in TRANSITIONS


def test_a_rule_repeats_at_the_same_hour_of_the_city_halls_clock() -> None:
    first = datetime(2027, 3, 6, 11, 0, tzinfo=TBILISI)  # a Saturday
    rule = recurrence.normalise("FREQ=WEEKLY;BYDAY=SA;COUNT=4", horizon=first)
    starts = recurrence.occurrences(rule, first, limit=100)
    assert [s.astimezone(TBILISI).strftime("%a %d %H:%M") for s in starts] == [
        "Sat 06 11:00",
        "Sat 13 11:00",
        "Sat 20 11:00",
        "Sat 27 11:00",
    ]
    assert all(s.tzinfo is not None and s.utcoffset() == timedelta(0) for s in starts)
    assert starts[0] == datetime(2027, 3, 6, 7, 0, tzinfo=UTC)


def test_wall_time_is_kept_across_a_change_of_offset() -> None:
    """Where the clocks change (Warsaw, a partner town's zone), the rule's hour holds;
    the expansion works the same way for any zone the rule is read in."""
    warsaw = ZoneInfo("Europe/Warsaw")
    first = datetime(2027, 3, 20, 10, 0, tzinfo=warsaw)
    expanded = recurrence.rrulestr("FREQ=WEEKLY;COUNT=3", dtstart=first)
    starts = [start.replace(tzinfo=warsaw) for start in expanded]
    assert [start.hour for start in starts] == [10, 10, 10]
    # Summer time begins on 28 March 2027: the third is an hour earlier in UTC.
    assert [start.utcoffset() for start in starts] == [
        timedelta(hours=1),
        timedelta(hours=1),
        timedelta(hours=2),
    ]


def test_until_as_a_date_means_the_whole_day_in_akhmeta() -> None:
    rule = recurrence.normalise(
        "FREQ=DAILY;UNTIL=20270110", horizon=datetime(2030, 1, 1, tzinfo=UTC)
    )
    assert rule == "FREQ=DAILY;UNTIL=20270110T195959Z"
    starts = recurrence.occurrences(rule, datetime(2027, 1, 8, 22, 0, tzinfo=TBILISI), limit=10)
    assert len(starts) == 3  # the 8th, the 9th and the 10th at 22:00 Tbilisi time


def test_a_rule_without_an_end_ends_at_the_horizon() -> None:
    horizon = datetime(2027, 12, 31, 12, 0, tzinfo=UTC)
    rule = recurrence.normalise("RRULE:FREQ=MONTHLY;BYDAY=1MO", horizon=horizon)
    assert rule == "FREQ=MONTHLY;UNTIL=20271231T120000Z;BYDAY=1MO"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=HOURLY;COUNT=3", "FREQ must be one of"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20270101", "COUNT and UNTIL"),
        ("FREQ=WEEKLY;BYHOUR=3", "unsupported parts: BYHOUR"),
        ("COUNT=3", "FREQ must be one of"),
    ],
)
def test_rules_that_cannot_make_a_series_are_refused(rule: str, message: str) -> None:
    with pytest.raises(recurrence.RuleError, match=message):
        recurrence.normalise(rule, horizon=datetime(2030, 1, 1, tzinfo=UTC))


def test_too_many_occurrences_ask_for_an_end() -> None:
    rule = recurrence.normalise("FREQ=DAILY;COUNT=40", horizon=datetime(2030, 1, 1, tzinfo=UTC))
    with pytest.raises(recurrence.RuleError, match="more than 30"):
        recurrence.occurrences(rule, datetime(2027, 1, 1, 9, tzinfo=TBILISI), limit=30)


def test_a_series_is_cut_before_its_split() -> None:
    moment = datetime(2027, 5, 1, 7, 0, tzinfo=UTC)
    cut = recurrence.ending_before("FREQ=WEEKLY;COUNT=20;BYDAY=SA", moment)
    assert cut == "FREQ=WEEKLY;UNTIL=20270501T065959Z;BYDAY=SA"


def test_tasks_are_known_by_their_key_whatever_their_round() -> None:
    assert task_key("meeting-12-task-briefing") == "briefing"
    assert task_key("meeting-12-task-briefing-r2") == "briefing"
    assert task_key("meeting-12-task-action-31") == "action-31"
    assert task_key("meeting-12-task-action-31-r1") == "action-31"
    assert task_key("press-conference-4-task-press_release") == "press_release"


def test_a_conflict_names_the_event_and_the_time_in_tbilisi() -> None:
    conflict = Conflict(
        event_id=7,
        title_ka="თუშეთობა",
        title_en="Tushetoba",
        starts_at=datetime(2027, 8, 1, 7, 0, tzinfo=UTC),
        ends_at=datetime(2027, 8, 2, 16, 0, tzinfo=UTC),
        state="scheduled",
        on="official",
        official_code="mayor",
    )
    problem = conflict_problem([conflict, conflict], {"official:mayor": "მერი"})
    assert problem.status == 409
    assert problem.detail == (
        "მერი is booked for «თუშეთობა» (event 7) from 2027-08-01 11:00 to 2027-08-02 20:00; "
        "give conflict_override_reason to book it anyway."
    )
    assert len(problem.extensions["conflicts"]) == 2
