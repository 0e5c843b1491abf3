"""An events calendar after years of work, for benchmarks and tests: 20,000 events.

Written straight into the service's tables, not through the API, so that 20,000 events
take seconds: events over two years around today (about 27 a day, between 09:00 and
20:00 Tbilisi time, an hour to three long; festivals over two or three days), a venue
for most of them among twelve, one to three of eight officials for most, and each
official's booking row with the event's times, as the service keeps them for conflict
detection. Past events are held (a tenth cancelled); future ones scheduled, some drafts,
postponed or cancelled. Titles are Georgian. A fixed random seed makes every run the same.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from meria.db import Database
from services.events.models import Event, EventOfficial, HistoryEntry, Official, Venue
from services.events.texts import TBILISI

OFFICIALS = [
    ("mayor", "ახმეტის მუნიციპალიტეტის მერი"),
    ("first-deputy-mayor", "მერის პირველი მოადგილე"),
    ("deputy-mayor", "მერის მოადგილე"),
    ("council-chair", "საკრებულოს თავმჯდომარე"),
    ("council-deputy", "საკრებულოს თავმჯდომარის მოადგილე"),
    ("head-pr", "საზოგადოებასთან ურთიერთობის სამსახურის უფროსი"),
    ("head-culture", "კულტურის სამსახურის უფროსი"),
    ("head-economy", "ეკონომიკის სამსახურის უფროსი"),
]
VENUES = [
    "მერიის სხდომათა დარბაზი", "საკრებულოს დარბაზი", "კულტურის ცენტრი", "ცენტრალური პარკი",
    "ზემო ალვანის საჯარო სკოლა", "ომალოს მოედანი", "დუისის სათემო ცენტრი",
    "მატანის ბიბლიოთეკა", "ქისტაურის სკოლა", "ახმეტის სტადიონი", "ტურისტული ცენტრი",
    "ალავერდის მონასტრის ეზო",
]  # fmt: skip
WHAT = [
    "შეხვედრა მოსახლეობასთან", "პრესკონფერენცია", "სამუშაო შეხვედრა", "ცერემონია",
    "ღვინის ტური", "შეხვედრა ფონდის წარმომადგენლებთან", "სპორტული ღონისძიება",
    "ახალგაზრდული ფორუმი", "გამოფენის გახსნა", "ბრიფინგი",
]  # fmt: skip
WHERE = ["ახმეტაში", "ზემო ალვანში", "დუისში", "მატანში", "ომალოში", "ქისტაურში", "ხორბალოში"]
KINDS = ["ceremony", "festival", "tourism_event", "ceremony", "tourism_event"]


async def fill(database: Database, count: int = 20_000, seed: int = 20261127) -> date:
    """Write the calendar into an empty, migrated events database; the busiest month's
    first day."""
    rng = random.Random(seed)
    today = datetime.now(TBILISI).date()
    first_day = today - timedelta(days=365)
    moment = datetime.now(UTC)
    events: list[dict[str, Any]] = []
    bookings: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    per_month: dict[date, int] = {}
    async with database.transaction() as session:
        await session.execute(
            insert(Official),
            [{"code": code, "name_ka": name, "name_en": None, "position_ka": None,
              "position_en": None} for code, name in OFFICIALS],
        )  # fmt: skip
        await session.execute(
            insert(Venue),
            [{"id": index + 1, "name_ka": name, "name_en": None, "address_ka": "ახმეტა",
              "address_en": None, "capacity": rng.choice((60, 120, 300, 2000)),
              "created_by": "scale", "created_at": moment} for index, name in enumerate(VENUES)],
        )  # fmt: skip
        for event_id in range(1, count + 1):
            day = first_day + timedelta(days=rng.randrange(730))
            kind = rng.choice(KINDS)
            starts = datetime(day.year, day.month, day.day, rng.randrange(9, 19),
                              rng.choice((0, 15, 30, 45)), tzinfo=TBILISI)  # fmt: skip
            if kind == "festival" and rng.random() < 0.3:
                ends = starts + timedelta(days=rng.choice((1, 2)), hours=8)
            else:
                ends = starts + timedelta(hours=rng.choice((1, 1.5, 2, 3)))
            past = day < today
            if past:
                state = "cancelled" if rng.random() < 0.1 else "completed"
            else:
                state = rng.choices(
                    ("scheduled", "draft", "postponed", "cancelled"), (80, 10, 5, 5)
                )[0]
            venue = rng.randrange(1, len(VENUES) + 1) if rng.random() < 0.6 else None
            events.append(
                {
                    "id": event_id, "case_id": event_id, "kind": kind, "state": state,
                    "title_ka": f"{rng.choice(WHAT)} {rng.choice(WHERE)}", "title_en": None,
                    "description_ka": None, "description_en": None, "organiser_ka": None,
                    "organiser_en": None, "partner_ka": None, "partner_en": None,
                    "responsible": None, "follow_up_kind": None, "venue_id": venue,
                    "place_ka": None if venue else rng.choice(WHERE), "place_en": None,
                    "starts_at": starts, "ends_at": ends, "public": rng.random() < 0.7,
                    "expected_attendance": None, "series_id": None, "recurrence_id": None,
                    "detached": False, "rescheduled_from_id": None, "rescheduled_to_id": None,
                    "status_reason": None, "revision": 1, "source": "staff", "visit_id": None,
                    "visit_item_id": None, "advisory_document_id": None,
                    "notice_document_id": None, "follow_up_document_id": None,
                    "follow_up_closed_at": None, "minutes_ka": None, "minutes_en": None,
                    "minutes_by": None, "minutes_at": None, "created_by": "scale",
                    "created_at": moment, "updated_at": moment,
                }
            )  # fmt: skip
            if rng.random() < 0.7:
                chosen = rng.sample(OFFICIALS, rng.choice((1, 1, 2, 3)))
                for position, (code, _) in enumerate(chosen):
                    bookings.append(
                        {"event_id": event_id, "official_code": code, "position": position,
                         "starts_at": starts, "ends_at": ends,
                         "holds_time": state in ("draft", "scheduled")}
                    )  # fmt: skip
            history.append(
                {"event_id": event_id, "case_id": event_id, "at": moment, "actor": "scale",
                 "action": "create", "from_state": "", "to_state": state, "reason": None,
                 "details": {}, "idempotency_key": None}
            )  # fmt: skip
            month = date(day.year, day.month, 1)
            per_month[month] = per_month.get(month, 0) + 1
        for table, rows in ((Event, events), (EventOfficial, bookings), (HistoryEntry, history)):
            for start in range(0, len(rows), 2000):
                await session.execute(insert(table), rows[start : start + 2000])
        if not database.is_sqlite:
            # The ids were given: PostgreSQL's sequences go on after them.
            for name in ("venues", "events"):
                await session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT max(id) FROM {name}))"
                    )
                )
    return max(per_month, key=lambda month: per_month[month])
