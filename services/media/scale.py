"""A press office after years of work, for benchmarks and tests: outlets, journalists with
their consents, and distribution lists, at the scale the API allows in one import.

Written straight into the service's tables, not through the API, so that 10,000
journalists take seconds; who is on each list is then worked out by the service's own
code (`refresh_journalists`), as an import does. Names are Georgian; a fixed random seed
makes every run the same. What it builds, at the defaults: 300 outlets of every medium in
ten regions; 10,000 journalists (one to three beats, Georgian mostly, some English or
Russian), nine in ten of them consenting to press distribution and a few unsubscribed or
bounced; 50 lists, 40 of them rules (by medium, beat, region, language, outlets) and 10
static lists of 200 to 3,000 names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select, text

from meria.db import Database
from services.media.lists import batches, refresh_journalists
from services.media.models import Consent, DistributionList, Journalist, ListMember, Outlet
from services.media.schemas import MEDIA, TOPICS

REGIONS = [
    "national", "კახეთი", "თბილისი", "იმერეთი", "აჭარა", "სამეგრელო", "შიდა ქართლი",
    "ქვემო ქართლი", "სამცხე-ჯავახეთი", "გურია",
]  # fmt: skip
FIRST_NAMES = [
    "ნათია", "მარიამ", "ეკა", "ლევან", "თეონა", "ზურაბ", "გიორგი", "ნინო", "დავით", "ანა",
    "ირაკლი", "სალომე", "ლაშა", "თამარ", "ბექა", "ქეთევან", "ნიკა", "მაია", "გოგა", "ლიკა",
]  # fmt: skip
SURNAMES = [
    "ჩიკვაიძე", "ლომიძე", "გიგაური", "ხოსიტაშვილი", "ბაღაშვილი", "ქავთარაძე", "ბერიძე",
    "კაპანაძე", "ჭოხელი", "გელაშვილი", "მაისურაძე", "ნაცვლიშვილი", "ბურდული", "ჯაფარიძე",
    "წიკლაური", "ალავიძე", "თუშიშვილი", "ბორჩაშვილი", "მარგოშვილი", "ხიზანიშვილი",
]  # fmt: skip
BEATS = [*TOPICS, "local_government", "pankisi", "tusheti", "wine"]
LANGUAGES = [["ka"], ["ka"], ["ka"], ["ka", "en"], ["en"], ["ka", "ru"]]


@dataclass(frozen=True)
class Scale:
    journalists: int = 10_000
    lists: int = 50
    outlets: int = 300
    seed: int = 20261207


async def fill(database: Database, scale: Scale = Scale()) -> list[int]:
    """Write the press office into an empty, migrated media database; the lists' ids."""
    rng = random.Random(scale.seed)
    moment = datetime.now(UTC)
    async with database.transaction() as session:
        outlets = [_outlet(rng, number, moment) for number in range(1, scale.outlets + 1)]
        await session.execute(insert(Outlet), outlets)
        people = [
            _journalist(rng, number, scale.outlets, moment)
            for number in range(1, scale.journalists + 1)
        ]
        for batch in batches(people):
            await session.execute(insert(Journalist), batch)
        consents = [row for person in people for row in _consents(rng, person["id"], moment)]
        for batch in batches(consents):
            await session.execute(insert(Consent), batch)
        lists, named = _lists(rng, scale, outlets, moment)
        await session.execute(insert(DistributionList), lists)
        members = [
            {"list_id": list_id, "journalist_id": journalist_id, "reached": False}
            for list_id, ids in named.items()
            for journalist_id in ids
        ]
        for batch in batches(members):
            await session.execute(insert(ListMember), batch)
        if not database.is_sqlite:
            # The ids were given: PostgreSQL's sequences go on after them.
            for table in ("outlets", "journalists", "distribution_lists"):
                await session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        ids = list(await session.scalars(select(Journalist.id).order_by(Journalist.id)))
        await refresh_journalists(session, ids)
    return [found["id"] for found in lists]


def _outlet(rng: random.Random, number: int, moment: datetime) -> dict[str, Any]:
    medium = rng.choice(MEDIA)
    return {
        "id": number,
        "name_ka": f"{rng.choice(['კახეთის', 'ქართული', 'რეგიონის', 'ახალი'])} {medium} {number}",
        "name_en": None,
        "medium": medium,
        "region": rng.choice(REGIONS),
        "website": None,
        "newsroom_email": f"news@outlet{number}.ge",
        "newsroom_phone": None,
        "verified": True,
        "created_by": "scale",
        "created_at": moment,
    }


def _journalist(rng: random.Random, number: int, outlets: int, moment: datetime) -> dict[str, Any]:
    outlet_id = rng.randrange(1, outlets + 1) if rng.random() < 0.9 else None
    fate = rng.random()
    return {
        "id": number,
        "full_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
        "outlet_id": outlet_id,
        "position": None,
        "beats": rng.sample(BEATS, rng.choice((1, 1, 2, 3))),
        "languages": rng.choice(LANGUAGES),
        "email": f"reporter{number:05d}@outlet{outlet_id or 0}.ge",
        "phone": None,
        "notes": None,
        "email_bounced_at": moment if 0.97 <= fate < 0.99 else None,
        "unsubscribed_at": moment if fate >= 0.99 else None,
        "created_by": "scale",
        "created_at": moment,
        "updated_at": moment,
    }


def _consents(rng: random.Random, journalist_id: int, moment: datetime) -> list[dict[str, Any]]:
    purposes = ["accreditation"]
    if rng.random() < 0.9:
        purposes.append("press_distribution")
    return [
        {
            "journalist_id": journalist_id,
            "purpose": purpose,
            "given_on": date(2025, 9, 1),
            "method": "written",
            "wording": None,
            "recorded_by": "scale",
            "recorded_at": moment,
            "withdrawn_at": None,
        }
        for purpose in purposes
    ]


def _lists(
    rng: random.Random, scale: Scale, outlets: list[dict[str, Any]], moment: datetime
) -> tuple[list[dict[str, Any]], dict[int, list[int]]]:
    """The lists, four in five of them rules; and whom each static list names."""
    rules: list[dict[str, Any]] = [{"media": [medium]} for medium in MEDIA]
    rules += [{"beats": [beat]} for beat in BEATS]
    rules += [{"regions": [region]} for region in REGIONS]
    rules += [{"languages": ["en"]}, {"languages": ["ru"]}]
    while len(rules) < scale.lists * 4 // 5:
        rules.append(
            rng.choice(
                (
                    {"media": rng.sample(MEDIA, 2), "beats": rng.sample(BEATS, 2)},
                    {"regions": [rng.choice(REGIONS)], "beats": [rng.choice(BEATS)]},
                    {"outlet_ids": sorted(rng.sample([o["id"] for o in outlets], 20))},
                )
            )
        )
    rules = rules[: scale.lists * 4 // 5]
    found: list[dict[str, Any]] = []
    named: dict[int, list[int]] = {}
    for number in range(1, scale.lists + 1):
        rule = rules[number - 1] if number <= len(rules) else None
        found.append(
            {
                "id": number,
                "name_ka": f"სია {number}",
                "name_en": f"List {number}",
                "kind": "rule" if rule is not None else "static",
                "rule": rule or {},
                "document_types": ["press_release", "announcement"],
                "member_count": 0,
                "recipient_count": 0,
                "created_by": "scale",
                "created_at": moment,
                "updated_at": moment,
            }
        )
        if rule is None:
            size = min(rng.randrange(200, 3001), scale.journalists)
            named[number] = sorted(rng.sample(range(1, scale.journalists + 1), size))
    return found, named


__all__ = ["Scale", "fill"]
