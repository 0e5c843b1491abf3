"""A legal act's standing on a day, and the text that stood on it."""

from __future__ import annotations

import re
from datetime import date

from meria.legal_acts import (
    ARTICLE,
    Change,
    Entry,
    Standing,
    Version,
    effective_day,
    standing,
    version_on,
)

IN_FORCE = Entry("publication", date(2026, 3, 1))


def test_an_act_not_yet_in_force_or_waiting_on_its_condition() -> None:
    assert (
        standing(Entry("date", date(2027, 1, 1)), [], date(2026, 12, 31))
        is Standing.NOT_YET_IN_FORCE
    )
    assert standing(Entry("date", date(2027, 1, 1)), [], date(2027, 1, 1)) is Standing.IN_FORCE
    assert standing(Entry("condition", None), [], date(2030, 1, 1)) is Standing.NOT_YET_IN_FORCE


def test_an_amendment_of_article_2_and_a_repeal_of_article_3_from_a_later_day() -> None:
    amendment = Change("amends", ("2",), date(2027, 2, 1))
    repeal = Change("repeals", ("3",), date(2027, 4, 1))
    changes = [amendment, repeal]
    assert standing(IN_FORCE, changes, date(2027, 1, 31)) is Standing.IN_FORCE
    assert standing(IN_FORCE, changes, date(2027, 2, 1)) is Standing.AMENDED
    # Repealing some articles leaves the act in force, amended.
    assert standing(IN_FORCE, changes, date(2027, 5, 1)) is Standing.AMENDED


def test_a_whole_repeal_outranks_a_suspension_and_amendments() -> None:
    changes = [
        Change("amends", ("2",), date(2027, 2, 1)),
        Change("suspends", (), date(2027, 3, 1)),
        Change("repeals", (), date(2027, 6, 1)),
    ]
    assert standing(IN_FORCE, changes, date(2027, 3, 15)) is Standing.SUSPENDED
    assert standing(IN_FORCE, changes, date(2027, 6, 1)) is Standing.REPEALED


def test_a_change_without_its_own_day_follows_its_act_and_waits_with_it() -> None:
    assert effective_day(None, Entry("date", date(2027, 5, 1))) == date(2027, 5, 1)
    assert effective_day(date(2027, 6, 1), Entry("date", date(2027, 5, 1))) == date(2027, 6, 1)
    waiting = Change("repeals", (), effective_day(None, Entry("condition", None)))
    assert standing(IN_FORCE, [waiting], date(2040, 1, 1)) is Standing.IN_FORCE


def test_the_text_that_stood_on_a_day() -> None:
    versions = [
        Version(1, date(2026, 3, 1)),
        Version(2, date(2027, 2, 1)),  # consolidated as of the amendment
        Version(3, date(2027, 2, 1)),  # a correction of that consolidated text
        Version(4, date(2027, 4, 1)),
    ]
    assert version_on(versions, date(2026, 2, 28)) is None
    assert version_on(versions, date(2026, 12, 31)) == Version(1, date(2026, 3, 1))
    assert version_on(versions, date(2027, 3, 1)) == Version(3, date(2027, 2, 1))
    assert version_on(versions, date(2030, 1, 1)) == Version(4, date(2027, 4, 1))


def test_articles_are_named_as_acts_name_them() -> None:
    for name in ("2", "3.1", "12.4.2", "5 ა", "7ბ"):
        assert re.match(ARTICLE, name), name
    for name in ("", "მუხლი 2", "2.", "a", "1.2.3.4.5"):
        assert not re.match(ARTICLE, name), name
