"""A department after years of work: the scale dataset, written straight into each
service's own tables.

`bench/scale.py` measures every list and page on it; `bench/website.py` and
`bench/events.py` take their documents and calendars from here; the query-count tests
fill their tables with the same rows at two sizes.

At scale 1 (`Scale(1)`), over six years: 100,000 documents (legal acts of the mayor's
office, news, press releases, announcements; their editions, the audit trail of every
step of their route, a PDF on a third of the acts; the newest few still on their route),
the website's read model of every one published (indexed for search as the bus handler
indexes them), 20,000 events (press conferences and meetings with participants, agenda
and follow-up actions), 2,000 visits (members, programme, logistics tasks from their
checklists, budget, report, history), 500 partners, 500 international projects with
their deadlines, agreements, 10,000 journalists with their consents in 50 distribution
lists, 50,000 monitored stories (some with responses), enquiries, accreditations, press
mailings with their deliveries, 20,000 small files of the media library, 5,000
information requests with their answers, and the portal's staff, their notifications
and account changes. A fraction (`Scale(0.1)`) scales every count.

The rows are those each service writes itself (through its own models, after `meria
migrate`), inserted in batches: a year's work takes minutes, not weeks of API calls.
Texts are Georgian, made from a vocabulary of real words in the case forms the sentences
need; a fixed random seed makes every build the same. Past work is finished as the
services would have finished it (events completed, reminders sent, members of visits
long closed purged), so no background job of a service starts on years of backlog.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import random
import shutil
import time as clock
from collections.abc import Awaitable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update

from meria.db import Database
from services.events.scale import VENUES

SEED = 20261127
TBILISI = ZoneInfo("Asia/Tbilisi")
YEARS = 6

# ---------------------------------------------------------------------------------------
# Georgian texts: real words in the case forms the sentences need.

# Settlements of Akhmeta municipality: (genitive, locative -ში), each with its prefix.
PLACES = [
    ("ქალაქ ახმეტის", "ქალაქ ახმეტაში"),
    ("სოფელ ზემო ალვნის", "სოფელ ზემო ალვანში"),
    ("სოფელ ქვემო ალვნის", "სოფელ ქვემო ალვანში"),
    ("სოფელ მატნის", "სოფელ მატანში"),
    ("სოფელ დუისის", "სოფელ დუისში"),
    ("სოფელ ჯოყოლოს", "სოფელ ჯოყოლოში"),
    ("სოფელ ბირკიანის", "სოფელ ბირკიანში"),
    ("სოფელ ომალოს", "სოფელ ომალოში"),
    ("სოფელ ხალაცნის", "სოფელ ხალაცანში"),
    ("სოფელ კვეტერის", "სოფელ კვეტერაში"),
    ("სოფელ ქისტაურის", "სოფელ ქისტაურში"),
    ("სოფელ ოჟიოს", "სოფელ ოჟიოში"),
    ("სოფელ არგოხის", "სოფელ არგოხში"),
    ("სოფელ საკობიანოს", "სოფელ საკობიანოში"),
    ("სოფელ ფიჩხოვნის", "სოფელ ფიჩხოვანში"),
    ("სოფელ ლეჩურის", "სოფელ ლეჩურში"),
    ("სოფელ ზინობიანის", "სოფელ ზინობიანში"),
    ("სოფელ შახვეტილას", "სოფელ შახვეტილაში"),
    ("სოფელ მაღრანის", "სოფელ მაღრანში"),
    ("სოფელ ხორბალოს", "სოფელ ხორბალოში"),
    ("სოფელ დუმასტურის", "სოფელ დუმასტურში"),
    ("სოფელ ქორეთის", "სოფელ ქორეთში"),
]
# Buildings and works: (nominative, genitive).
OBJECTS = [
    ("საჯარო სკოლა", "საჯარო სკოლის"),
    ("საბავშვო ბაღი", "საბავშვო ბაღის"),
    ("ამბულატორია", "ამბულატორიის"),
    ("კულტურის სახლი", "კულტურის სახლის"),
    ("სტადიონი", "სტადიონის"),
    ("საავტომობილო ხიდი", "საავტომობილო ხიდის"),
    ("შიდა გზა", "შიდა გზის"),
    ("სასმელი წყლის სათავე ნაგებობა", "სასმელი წყლის სათავე ნაგებობის"),
    ("გარე განათების ქსელი", "გარე განათების ქსელის"),
    ("სკვერი", "სკვერის"),
    ("საჯარო ბიბლიოთეკა", "საჯარო ბიბლიოთეკის"),
    ("სპორტული დარბაზი", "სპორტული დარბაზის"),
    ("სარწყავი არხი", "სარწყავი არხის"),
    ("ადმინისტრაციული ერთეულის შენობა", "ადმინისტრაციული ერთეულის შენობის"),
    ("მუსიკალური სკოლა", "მუსიკალური სკოლის"),
    ("საფეხბურთო მოედანი", "საფეხბურთო მოედნის"),
    ("ნაპირსამაგრი ნაგებობა", "ნაპირსამაგრი ნაგებობის"),
]
WORKS = [
    ("რეაბილიტაცია", "რეაბილიტაციის"),
    ("მშენებლობა", "მშენებლობის"),
    ("მიმდინარე შეკეთება", "მიმდინარე შეკეთების"),
    ("სახურავის შეკეთება", "სახურავის შეკეთების"),
    ("ფანჯრების გამოცვლა", "ფანჯრების გამოცვლის"),
    ("გათბობის სისტემის მოწყობა", "გათბობის სისტემის მოწყობის"),
    ("კაპიტალური შეკეთება", "კაპიტალური შეკეთების"),
    ("ფასადის რეაბილიტაცია", "ფასადის რეაბილიტაციის"),
]
# The city hall's services: (genitive, dative).
UNITS = [
    ("ინფრასტრუქტურის სამსახურის", "ინფრასტრუქტურის სამსახურს"),
    ("ფინანსური სამსახურის", "ფინანსურ სამსახურს"),
    ("ადმინისტრაციული სამსახურის", "ადმინისტრაციულ სამსახურს"),
    ("სოციალური და ჯანდაცვის სამსახურის", "სოციალური და ჯანდაცვის სამსახურს"),
    ("ზედამხედველობის სამსახურის", "ზედამხედველობის სამსახურს"),
    ("ეკონომიკური განვითარების სამსახურის", "ეკონომიკური განვითარების სამსახურს"),
    ("განათლების, კულტურისა და სპორტის სამსახურის", "განათლების, კულტურისა და სპორტის სამსახურს"),
]
FIRST_NAMES = ["ნინო", "გიორგი", "დავით", "თამარ", "ლევან", "მარიამ", "ნიკოლოზ", "ეკატერინე",
               "ზურაბ", "ნათია", "ირაკლი", "ანა", "ლაშა", "ქეთევან", "მაია", "ვახტანგ"]  # fmt: skip
SURNAMES = [("ბერიძე", "ბერიძის"), ("კაპანაძე", "კაპანაძის"), ("ხუციშვილი", "ხუციშვილის"),
            ("ბაჩიაშვილი", "ბაჩიაშვილის"), ("მარგოშვილი", "მარგოშვილის"),
            ("ჯანელიძე", "ჯანელიძის"), ("ცისკარიშვილი", "ცისკარიშვილის"),
            ("ბორჩაშვილი", "ბორჩაშვილის"), ("ქადაგიძე", "ქადაგიძის"),
            ("ზურაბიშვილი", "ზურაბიშვილის"), ("ხახუტაშვილი", "ხახუტაშვილის"),
            ("გოგოლაშვილი", "გოგოლაშვილის")]  # fmt: skip
# Festivities: (nominative, genitive).
FESTIVALS = [
    ("თუშეთობის დღესასწაული", "თუშეთობის დღესასწაულის"),
    ("ღვინის ფესტივალი", "ღვინის ფესტივალის"),
    ("ალავერდობის დღესასწაული", "ალავერდობის დღესასწაულის"),
    ("სოფლის დღე", "სოფლის დღის"),
    ("საახალწლო ღონისძიება", "საახალწლო ღონისძიების"),
]
MONTHS_GENITIVE = ["იანვრის", "თებერვლის", "მარტის", "აპრილის", "მაისის", "ივნისის", "ივლისის",
                   "აგვისტოს", "სექტემბრის", "ოქტომბრის", "ნოემბრის", "დეკემბრის"]  # fmt: skip
MONTHS_FROM = ["იანვრიდან", "თებერვლიდან", "მარტიდან", "აპრილიდან", "მაისიდან", "ივნისიდან",
               "ივლისიდან", "აგვისტოდან", "სექტემბრიდან", "ოქტომბრიდან", "ნოემბრიდან",
               "დეკემბრიდან"]  # fmt: skip
ISSUERS = [
    ("mayor", "ახმეტის მუნიციპალიტეტის მერი", "Mayor of Akhmeta Municipality"),
    ("first-deputy-mayor", "ახმეტის მუნიციპალიტეტის მერის პირველი მოადგილე",
     "First Deputy Mayor of Akhmeta Municipality"),
]  # fmt: skip
ORDER_PREAMBLE = (
    "„ადგილობრივი თვითმმართველობის კოდექსის“ 61-ე მუხლის მე-2 პუნქტისა და „ნორმატიული "
    "აქტების შესახებ“ საქართველოს ორგანული კანონის 20-ე მუხლის შესაბამისად, ვბრძანებ:"
)
ORDINANCE_PREAMBLE = (
    "„ადგილობრივი თვითმმართველობის კოდექსის“ 54-ე მუხლის პირველი პუნქტის „ე“ ქვეპუნქტისა და "
    "„ზოგადი ადმინისტრაციული კოდექსის“ 53-ე მუხლის საფუძველზე:"
)
STANDING_PAGES = [
    ("about", "about", "ახმეტის მუნიციპალიტეტის შესახებ"),
    ("history", "about", "მუნიციპალიტეტის ისტორია"),
    ("mayor", "structure", "მუნიციპალიტეტის მერი"),
    ("services", "structure", "მერიის სამსახურები"),
    ("council", "structure", "მუნიციპალიტეტის საკრებულო"),
    ("contacts", "contacts", "კონტაქტი"),
    ("e-services", "services", "ელექტრონული მომსახურება"),
    ("vacancies", "services", "ვაკანსიები"),
]
# What the search case asks: inflected forms, frequent and rare.


class Writer:
    """Titles and bodies of acts and news, from the vocabulary above."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def amount(self, low: int = 5, high: int = 480) -> str:
        return f"{self.rng.randint(low, high) * 1000:,}".replace(",", " ")

    def person(self) -> tuple[str, str]:
        first = self.rng.choice(FIRST_NAMES)
        nominative, genitive = self.rng.choice(SURNAMES)
        return f"{first} {nominative}", f"{first} {genitive}"

    def act(self, year: int) -> tuple[str, str | None, str, bool]:
        """(title, summary, body HTML, is an ordinance)."""
        r = self.rng
        place_gen, place_loc = r.choice(PLACES)
        _, object_gen = r.choice(OBJECTS)
        _, work_gen = r.choice(WORKS)
        unit_gen, unit_dat = r.choice(UNITS)
        person_nom, person_gen = self.person()
        festival_gen = r.choice(FESTIVALS)[1]
        municipality = "ახმეტის მუნიციპალიტეტის"
        topics: list[tuple[str, list[str]]] = [
            (
                f"{place_gen} {object_gen} {work_gen} შესახებ",
                [
                    f"დამტკიცდეს {place_gen} {object_gen} {work_gen} სამუშაოების "
                    f"ხარჯთაღრიცხვა {self.amount()} ლარის ოდენობით.",
                    "სახელმწიფო შესყიდვა განხორციელდეს ელექტრონული ტენდერის საშუალებით.",
                    "ფანჯრების და კარის ბლოკების გამოცვლის სამუშაოების ზედამხედველობა "
                    "დაევალოს მერიის ზედამხედველობის სამსახურს.",
                    f"{place_loc} მერის წარმომადგენელმა მოსახლეობას აცნობოს სამუშაოების "
                    "დაწყების თაობაზე.",
                    f"სამუშაოები დასრულდეს {year} წლის ბოლომდე.",
                ],
            ),
            (
                f"{place_gen} {object_gen} {work_gen} სამუშაოების ხარჯთაღრიცხვის "
                "დამტკიცების შესახებ",
                [
                    f"დამტკიცდეს {place_gen} {object_gen} {work_gen} სამუშაოების "
                    f"ხარჯთაღრიცხვა {self.amount()} ლარის ოდენობით.",
                    f"სამუშაოები დაფინანსდეს {municipality} {year} წლის ბიუჯეტის "
                    f"{r.randint(1, 9):02d} {r.randint(1, 9):02d} {r.randint(1, 9):02d} "
                    "პროგრამული კოდით გათვალისწინებული ასიგნებებიდან.",
                    "სახელმწიფო შესყიდვა განხორციელდეს ელექტრონული ტენდერის საშუალებით.",
                ],
            ),
            (
                f"{person_gen} {municipality} მერიის {unit_gen} უფროსის თანამდებობაზე "
                "დანიშვნის შესახებ",
                [
                    f"{person_nom} დაინიშნოს {municipality} მერიის {unit_gen} უფროსის "
                    f"თანამდებობაზე {year} წლის {r.randint(1, 28)} {r.choice(MONTHS_FROM)}.",
                    f"{person_gen} თანამდებობრივი სარგო განესაზღვროს საშტატო ნუსხის შესაბამისად.",
                    "ბრძანების ასლი გადაეგზავნოს დაინტერესებულ პირებს.",
                ],
            ),
            (
                f"მოქალაქე {person_gen}თვის ერთჯერადი ფულადი დახმარების გაცემის შესახებ",
                [
                    f"მოქალაქე {person_nom} ({place_gen} მცხოვრები) გაეცეს ერთჯერადი "
                    f"ფულადი დახმარება {r.randint(2, 30) * 50} ლარის ოდენობით, განცხადებაზე "
                    "თანდართული დოკუმენტების საფუძველზე.",
                    f"თანხა გაიცეს {municipality} {year} წლის ბიუჯეტის სოციალური დაცვის "
                    "პროგრამით გათვალისწინებული ასიგნებებიდან.",
                ],
            ),
            (
                f"{municipality} {year} წლის ბიუჯეტში ცვლილებების შეტანის შესახებ",
                [
                    f"{municipality} {year} წლის ბიუჯეტის სარეზერვო ფონდიდან გამოიყოს "
                    f"{self.amount()} ლარი {place_gen} {object_gen} {work_gen} "
                    "დასაფინანსებლად.",
                    "მერიის ფინანსურმა სამსახურმა ცვლილებების პროექტი წარუდგინოს "
                    "მუნიციპალიტეტის საკრებულოს.",
                ],
            ),
            (
                f"{municipality} მერიის {unit_gen} დებულების დამტკიცების შესახებ",
                [
                    f"დამტკიცდეს {municipality} მერიის {unit_gen} დებულება თანდართული რედაქციით.",
                    f"ძალადაკარგულად გამოცხადდეს {municipality} მერის {year - 3} წლის "
                    f"ბრძანება №{r.randint(1, 400)} {unit_gen} დებულების შესახებ.",
                ],
            ),
            (
                f"{municipality} მერიის {year} წლის სახელმწიფო შესყიდვების გეგმაში "
                "ცვლილების შეტანის შესახებ",
                [
                    f"{municipality} მერიის {year} წლის სახელმწიფო შესყიდვების გეგმაში "
                    f"დაემატოს {place_gen} {object_gen} {work_gen} სამუშაოები "
                    f"{self.amount()} ლარის ოდენობით.",
                    "შესყიდვების გეგმის ცვლილება აისახოს სახელმწიფო შესყიდვების ერთიან "
                    "ელექტრონულ სისტემაში.",
                ],
            ),
            (
                f"{place_loc} {festival_gen} ჩატარებასთან დაკავშირებით",
                [
                    f"{place_loc} ჩატარდეს {festival_gen} ღონისძიებები {year} წლის "
                    f"{r.randint(1, 28)} {r.choice(MONTHS_FROM)}.",
                    f"ღონისძიებების ორგანიზება დაევალოს მერიის {unit_dat}.",
                    f"ღონისძიებების ხარჯი, {self.amount(2, 60)} ლარი, დაფინანსდეს "
                    "კულტურული ღონისძიებების პროგრამიდან.",
                ],
            ),
            (
                f"{place_gen} მოსახლეობის სასმელი წყლით მომარაგების ღონისძიებების შესახებ",
                [
                    f"{place_gen} მოსახლეობა სასმელი წყლით მომარაგდეს ავტოცისტერნებით "
                    "სათავე ნაგებობის შეკეთების დასრულებამდე.",
                    f"სასმელი წყლის სისტემის შეკეთებისთვის გამოიყოს {self.amount()} ლარი.",
                ],
            ),
            (
                f"{place_loc} მდებარე მიწის ნაკვეთის პრივატიზების შესახებ",
                [
                    f"პრივატიზდეს {place_loc} მდებარე მუნიციპალიტეტის საკუთრებაში არსებული "
                    f"{r.randint(3, 90) * 100} კვ.მ. მიწის ნაკვეთი (საკადასტრო კოდი "
                    f"{r.randint(50, 59)}.{r.randint(1, 20):02d}.{r.randint(1, 99):02d}."
                    f"{r.randint(1, 999):03d}) ელექტრონული აუქციონის წესით.",
                    f"ნაკვეთის საწყისი ფასი განისაზღვროს {self.amount(1, 90)} ლარით.",
                ],
            ),
            (
                f"{place_gen} საჯარო სკოლების მოსწავლეთა ტრანსპორტირების შესახებ",
                [
                    f"{place_gen} საჯარო სკოლების მოსწავლეთა ტრანსპორტირება "
                    f"განხორციელდეს {year} წლის {r.randint(1, 28)} {r.choice(MONTHS_FROM)}.",
                    f"ტრანსპორტირების ხარჯი, {self.amount(5, 90)} ლარი, დაფინანსდეს "
                    "განათლების პროგრამიდან.",
                ],
            ),
        ]
        title, specific = r.choice(topics)
        ordinance = r.random() < 0.25
        clauses = [
            *specific,
            "მერიის ფინანსურმა სამსახურმა უზრუნველყოს თანხის გადარიცხვა კანონმდებლობით "
            "დადგენილ ვადაში.",
            f"ბრძანების შესრულების კონტროლი დაევალოს {municipality} მერიის {unit_dat}.",
            "ბრძანება შეიძლება გასაჩივრდეს თელავის რაიონულ სასამართლოში მისი გაცნობიდან "
            "ერთი თვის ვადაში.",
            "ბრძანება ძალაში შევიდეს ხელმოწერისთანავე.",
        ]
        if ordinance:
            clauses = [c.replace("ბრძანებ", "განკარგულებ") for c in clauses]
        preamble = ORDINANCE_PREAMBLE if ordinance else ORDER_PREAMBLE
        items = "".join(f"<li>{clause}</li>" for clause in clauses)
        body = f"<p>{preamble}</p><ol>{items}</ol>"
        summary = clauses[0] if r.random() < 0.3 else None
        return title, summary, body, ordinance

    def news(self, year: int) -> tuple[str, str, str]:
        """(title, summary, body HTML)."""
        r = self.rng
        place_gen, place_loc = r.choice(PLACES)
        object_nom, object_gen = r.choice(OBJECTS)
        work_nom, _ = r.choice(WORKS)
        festival_nom, _ = r.choice(FESTIVALS)
        titles = [
            f"{place_loc} {object_gen} {work_nom} დასრულდა",
            f"{place_loc} {object_gen} {work_nom} დაიწყო",
            f"მერი {place_gen} მოსახლეობას შეხვდა",
            f"{place_loc} {festival_nom} გაიმართა",
            f"ახმეტის მუნიციპალიტეტის {year + 1} წლის ბიუჯეტის პროექტი საჯარო "
            "განხილვისთვის გამოქვეყნდა",
            f"მერიამ {place_gen} საჯარო სკოლებს ახალი კომპიუტერები გადასცა",
            f"{place_loc} სასმელი წყლის სისტემის მშენებლობა დაიწყო",
            f"საკრებულომ ახმეტის მუნიციპალიტეტის {year + 1} წლის ბიუჯეტი დაამტკიცა",
            f"{place_loc} ახალი {object_nom} გაიხსნა",
            "მუნიციპალიტეტში ზამთრის სეზონისთვის მზადება მიმდინარეობს",
        ]
        sentences = [
            f"ახმეტის მუნიციპალიტეტის მერიის ინიციატივით {place_loc} {object_gen} "
            f"{work_nom} განხორციელდა.",
            f"სამუშაოების ღირებულება {self.amount()} ლარს შეადგენს და სრულად "
            "მუნიციპალიტეტის ბიუჯეტიდან დაფინანსდა.",
            "ღონისძიებას მუნიციპალიტეტის მერი, საკრებულოს წევრები და ადგილობრივი "
            "მოსახლეობა დაესწრნენ.",
            f"მერის თქმით, {year + 1} წელს მსგავსი სამუშაოები მუნიციპალიტეტის სხვა "
            "სოფლებშიც გაგრძელდება.",
            "შეხვედრაზე მოსახლეობამ გზების, გარე განათებისა და სასმელი წყლის პრობლემები დააყენა.",
            "მერიის ინფრასტრუქტურის სამსახურის ინფორმაციით, სამუშაოები "
            f"{r.choice(MONTHS_GENITIVE)} ბოლომდე დასრულდება.",
            "პროექტის ფარგლებში შენობას ფანჯრები და კარები გამოეცვალა, მოეწყო გათბობის "
            "სისტემა და შეკეთდა სახურავი.",
            f"{place_gen} საჯარო სკოლის მოსწავლეები და მასწავლებლები ახალ კლასებში "
            "სწავლას სექტემბრიდან გააგრძელებენ.",
            "მუნიციპალიტეტის მერიამ მოსახლეობას მადლობა გადაუხადა თანადგომისთვის.",
            "დამატებითი ინფორმაციის მიღება შესაძლებელია მერიის ცხელ ხაზზე.",
            "თუშეთში ტურისტული სეზონი ივნისის ბოლოს იხსნება, როცა აბანოს უღელტეხილის გზა "
            "მოძრაობისთვის გაიხსნება.",
            f"{festival_nom} ტრადიციულად {place_loc} იმართება და მასში მონაწილეობას "
            "მუნიციპალიტეტის ყველა სოფლის მოსახლეობა იღებს.",
            f"სოციალური პროგრამის ფარგლებში ერთჯერადი ფულადი დახმარება მუნიციპალიტეტის "
            f"{r.randint(40, 900)}-მა ოჯახმა მიიღო.",
            f"პანკისის ხეობის სოფლებში გზების რეაბილიტაცია {year + 1} წლის ბიუჯეტით არის "
            "გათვალისწინებული.",
            "ახალმა სტადიონმა ახალგაზრდებს ფეხბურთის, კალათბურთისა და ჩოგბურთის თამაშის "
            "საშუალება მისცა.",
            "მდინარე ალაზნის ნაპირსამაგრი სამუშაოები სოფლის სახლებსა და სასოფლო-სამეურნეო "
            "მიწებს წყალდიდობისგან დაიცავს.",
        ]
        chosen = r.sample(sentences, r.randint(5, 9))
        cut = sorted(r.sample(range(1, len(chosen)), 2))
        paragraphs = [chosen[: cut[0]], chosen[cut[0] : cut[1]], chosen[cut[1] :]]
        body = "".join(f"<p>{' '.join(paragraph)}</p>" for paragraph in paragraphs)
        return r.choice(titles), chosen[0], body


# ---------------------------------------------------------------------------------------
# How much: the department at scale 1, and a fraction of it.


@dataclass(frozen=True)
class Scale:
    """The dataset's size: every count is its figure at scale 1 times `factor`."""

    factor: float = 1.0

    def of(self, at_one: int, least: int = 1) -> int:
        return max(least, round(at_one * self.factor))

    @property
    def documents(self) -> int:
        return self.of(100_000, 20)

    @property
    def events(self) -> int:
        return self.of(20_000, 20)

    @property
    def journalists(self) -> int:
        return self.of(10_000, 20)

    @property
    def lists(self) -> int:
        return self.of(50, 5)

    @property
    def visits(self) -> int:
        return self.of(2_000, 10)

    @property
    def information_requests(self) -> int:
        return self.of(5_000, 10)

    @property
    def monitoring_items(self) -> int:
        return self.of(50_000, 20)

    @property
    def library_items(self) -> int:
        return self.of(20_000, 20)

    @property
    def partners(self) -> int:
        return self.of(500, 10)

    @property
    def projects(self) -> int:
        return self.of(500, 10)

    def counts(self) -> dict[str, int]:
        names = ("documents", "events", "journalists", "lists", "visits",
                 "information_requests", "monitoring_items", "library_items", "partners",
                 "projects")  # fmt: skip
        return {name: getattr(self, name) for name in names}


# The department's staff: user names (as the portal's accounts and every service's
# records name them), display names and roles.
STAFF: list[tuple[str, str, list[str]]] = [
    ("nino.beridze", "ნინო ბერიძე", ["editor"]),
    ("giorgi.khutsishvili", "გიორგი ხუციშვილი", ["editor"]),
    ("ana.margoshvili", "ანა მარგოშვილი", ["editor"]),
    ("levan.kapanadze", "ლევან კაპანაძე", ["legal_reviewer"]),
    ("tamar.gelashvili", "თამარ გელაშვილი", ["head_of_department"]),
    ("mayor.akhmeta", "ახმეტის მერი", ["mayor"]),
    ("mariam.chokheli", "მარიამ ჩოხელი", ["protocol_officer"]),
    ("davit.bachiashvili", "დავით ბაჩიაშვილი", ["protocol_officer"]),
    ("giorgi.khizanishvili", "გიორგი ხიზანიშვილი", ["media_officer"]),
    ("natia.janelidze", "ნათია ჯანელიძე", ["media_officer"]),
    ("eka.buchukuri", "ეკა ბუჩუკური", ["requester"]),
    ("zurab.kadagidze", "ზურაბ ქადაგიძე", ["requester"]),
    ("portal.admin", "ადმინისტრატორი", ["admin"]),
]
EDITORS = [name for name, _, roles in STAFF if "editor" in roles]
PROTOCOL = [name for name, _, roles in STAFF if "protocol_officer" in roles]
MEDIA_DESK = [name for name, _, roles in STAFF if "media_officer" in roles]
REQUESTERS = [name for name, _, roles in STAFF if "requester" in roles]


def start_of_history(now: datetime) -> datetime:
    return now - timedelta(days=YEARS * 365)


def signed_fields(rng: random.Random, text: str) -> dict[str, Any]:
    """What a signed publication carries: the text's hash, its record and a signature."""
    sha = hashlib.sha256(text.encode()).hexdigest()
    return {
        "content_sha256": sha,
        "publication_record": {"content_sha256": sha, "format": "meria-publication/1"},
        "signature": base64.b64encode(rng.randbytes(64)).decode(),
    }


async def insert_rows(database: Database, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Rows of one table in one transaction, a few thousand to a statement batch."""
    if not rows:
        return
    async with database.transaction() as session:
        for start in range(0, len(rows), 5000):
            await session.execute(insert(model), list(rows[start : start + 5000]))


def bulk(url: str) -> Database:
    """A database to fill: on SQLite without an fsync per commit (a build is redone, not
    recovered, if the machine stops)."""
    return Database(url, sqlite_synchronous="OFF")


# ---------------------------------------------------------------------------------------
# Documents: one plan, read by publishing (its documents) and the website (what is public).


@dataclass
class DocumentPlan:
    document_id: int
    document_type: str
    title_ka: str
    summary_ka: str | None
    body_ka: str
    published_at: datetime
    issuer: tuple[str, str, str] | None = None
    register_number: str | None = None
    register_sequence: int | None = None
    register_year: int | None = None
    date_signed: date | None = None
    slug: str | None = None
    nav_section: str | None = None
    nav_order: int | None = None
    signed: dict[str, Any] = field(default_factory=dict)

    @property
    def is_act(self) -> bool:
        return self.register_number is not None


def mix(documents: int) -> dict[str, int]:
    """A department's documents by kind: half of them legal acts, then news, releases,
    announcements, and a press digest a month."""
    acts = documents // 2
    news = documents * 3 // 10
    releases = documents * 13 // 100
    digests = min(12 * YEARS, documents // 100)
    announcements = documents - acts - news - releases - digests
    return {"act": acts, "news": news, "press_release": releases,
            "announcement": announcements, "press_digest": digests}  # fmt: skip


def document_plans(kinds: dict[str, int], *, now: datetime | None = None) -> Iterator[DocumentPlan]:
    """The menu's standing pages, then `kinds` ({"act": …, "news": …, "press_release": …,
    "announcement": …}) over six years, oldest first: the same documents for the same
    counts and day."""
    rng = random.Random(SEED)
    writer = Writer(rng)
    order = [kind for kind, count in kinds.items() for _ in range(count)]
    rng.shuffle(order)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    first = start_of_history(now)
    for number, (slug, section, title) in enumerate(STANDING_PAGES, start=1):
        body = f"<p>{title}. {writer.news(now.year)[2]}</p>"
        yield DocumentPlan(
            document_id=number, document_type="web_page", title_ka=title, summary_ka=None,
            body_ka=body, published_at=first, slug=slug, nav_section=section,
            nav_order=number, signed=signed_fields(rng, body),
        )  # fmt: skip
    step = (now - first) / max(1, len(order))
    registers: dict[tuple[str, str, int], int] = {}
    for index, kind in enumerate(order):
        published = first + step * index
        yield _plan(writer, rng, kind, len(STANDING_PAGES) + 1 + index, published, registers)


def _plan(
    writer: Writer,
    rng: random.Random,
    kind: str,
    document_id: int,
    published: datetime,
    registers: dict[tuple[str, str, int], int],
) -> DocumentPlan:
    year = published.year
    if kind != "act":
        title, lead, body = writer.news(year)
        return DocumentPlan(
            document_id=document_id, document_type=kind, title_ka=title, summary_ka=lead,
            body_ka=body, published_at=published, signed=signed_fields(rng, body),
        )  # fmt: skip
    title, abstract, body, ordinance = writer.act(year)
    document_type = "mayor_ordinance" if ordinance else "mayor_order"
    if rng.random() < 0.05:
        document_type = "official_document"
    issuer = ISSUERS[0] if rng.random() < 0.85 else ISSUERS[1]
    key = (issuer[0], document_type, year)
    sequence = registers[key] = registers.get(key, 0) + 1
    return DocumentPlan(
        document_id=document_id, document_type=document_type, title_ka=title,
        summary_ka=abstract, body_ka=body, published_at=published, issuer=issuer,
        register_number=f"{sequence}/{year}", register_sequence=sequence, register_year=year,
        date_signed=(published - timedelta(days=rng.randint(0, 3))).date(),
        signed=signed_fields(rng, body),
    )  # fmt: skip


def batched(plans: Iterator[DocumentPlan], size: int) -> Iterator[list[DocumentPlan]]:
    batch: list[DocumentPlan] = []
    for plan in plans:
        batch.append(plan)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(frozen=True)
class Fate:
    """What became of a document in publishing, decided by its id alone."""

    public: str | None  # published | withdrawn | unpublished | None (never public)
    editions: int  # published editions (the earlier ones superseded)
    working: str | None  # the state of an edition not yet public, if any


# The website's section of each document type: a published id of each is asked for.
SECTION = {"mayor_order": "act", "mayor_ordinance": "act", "official_document": "act",
           "news": "news", "press_release": "press_release", "announcement": "announcement",
           "press_digest": "press_digest", "web_page": "web_page"}  # fmt: skip
IN_PROGRESS = ("draft", "submitted", "in_review", "changes_requested", "approved", "scheduled")


def fate(plan: DocumentPlan, total: int) -> Fate:
    """The newest documents are still on their route; of the rest a few were corrected by
    a second edition, withdrawn or unpublished, and some have a new edition in the works."""
    rng = random.Random(SEED * 7919 + plan.document_id)
    if plan.document_type == "web_page":
        return Fate("published", 1, None)
    if plan.document_id > total - max(2, total // 60):
        return Fate(None, 0, rng.choice(IN_PROGRESS))
    roll = rng.random()
    editions = 2 if roll < 0.08 else 1
    public = "withdrawn" if 0.08 <= roll < 0.09 else "published"
    if 0.09 <= roll < 0.093:
        public = "unpublished"
    working = rng.choice(("draft", "in_review")) if 0.093 <= roll < 0.11 else None
    return Fate(public, editions, working)


ROUTE_STEPS = {
    "act": ["legal_reviewer", "head_of_department", "mayor"],
    "other": ["head_of_department"],
}
REVIEWERS = {"legal_reviewer": "levan.kapanadze", "head_of_department": "tamar.gelashvili",
             "mayor": "mayor.akhmeta"}  # fmt: skip


def has_attachment(plan: DocumentPlan) -> bool:
    """A third of the acts carry their signed PDF."""
    return plan.is_act and plan.document_id % 3 == 0


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PDF_NAME = f"{hashlib.sha256(PDF).hexdigest()}.pdf"


@dataclass
class Filled:
    """What a fill wrote: counts, and ids a benchmark asks for."""

    counts: dict[str, int] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)
    # Publishing's published press releases (id, when): what media distributed.
    releases: list[tuple[int, datetime]] = field(default_factory=list)


async def fill_publishing(
    url: str, plans: Iterator[DocumentPlan], total: int, attachments_dir: Path | None = None
) -> Filled:
    """Documents with their editions, route and audit trail, as publishing writes them."""
    from services.publishing.models import (
        Attachment,
        AuditEntry,
        Document,
        Edition,
        Issuer,
        RegisterCounter,
    )

    if attachments_dir is not None:
        attachments_dir.mkdir(parents=True, exist_ok=True)
        (attachments_dir / PDF_NAME).write_bytes(PDF)
    database = bulk(url)
    filled = Filled()
    counters: dict[tuple[str, str, int], int] = {}
    releases: list[tuple[int, datetime]] = []
    edition_id = 0
    try:
        await insert_rows(database, Issuer, [
            {"code": code, "name_ka": ka, "name_en": en} for code, ka, en in ISSUERS
        ])  # fmt: skip
        for batch in batched(plans, 2000):
            documents, editions, audit, attachments = [], [], [], []
            for plan in batch:
                author, destiny, editions_of = history(plan, total)
                documents.append(_document_row(plan, author))
                if plan.register_number and plan.issuer:
                    key = (plan.issuer[0], plan.document_type, plan.register_year or 0)
                    counters[key] = max(counters.get(key, 0), plan.register_sequence or 0)
                for number, state, moment in editions_of:
                    edition_id += 1
                    editions.append(_edition_row(plan, edition_id, number, state, moment, author))
                    audit.extend(_route(plan, number, state, moment, author))
                    if has_attachment(plan) and state not in IN_PROGRESS:
                        attachments.append({
                            "edition_id": edition_id, "filename": "ბრძანება.pdf",
                            "stored_name": PDF_NAME, "media_type": "application/pdf",
                            "size": len(PDF), "sha256": PDF_NAME[:64], "created_by": author,
                            "created_at": moment,
                        })  # fmt: skip
                _count_fate(filled, destiny)
                if destiny.public == "published":
                    filled.ids["document_id"] = plan.document_id
                    filled.ids[f"{SECTION[plan.document_type]}_id"] = plan.document_id
                    if plan.document_type == "press_release":
                        releases.append((plan.document_id, plan.published_at))
            await insert_rows(database, Document, documents)
            await insert_rows(database, Edition, editions)
            await insert_rows(database, AuditEntry, audit)
            await insert_rows(database, Attachment, attachments)
            filled.counts["documents"] = filled.counts.get("documents", 0) + len(documents)
            filled.counts["editions"] = edition_id
            filled.counts["audit_entries"] = filled.counts.get("audit_entries", 0) + len(audit)
        await insert_rows(database, RegisterCounter, [
            {"issuer_code": issuer, "document_type": kind, "year": year, "last_number": last}
            for (issuer, kind, year), last in counters.items()
        ])  # fmt: skip
    finally:
        await database.dispose()
    filled.releases = releases
    return filled


def _count_fate(filled: Filled, destiny: Fate) -> None:
    name = f"public_{destiny.public}" if destiny.public else "in_progress"
    filled.counts[name] = filled.counts.get(name, 0) + 1


def _document_row(plan: DocumentPlan, author: str) -> dict[str, Any]:
    return {
        "id": plan.document_id, "document_type": plan.document_type,
        "issuer_code": plan.issuer[0] if plan.issuer else None, "slug": plan.slug,
        "nav_section": plan.nav_section, "nav_order": plan.nav_order,
        "register_number": plan.register_number, "register_year": plan.register_year,
        "register_sequence": plan.register_sequence, "external_registration_code": None,
        "created_by": author, "created_at": plan.published_at - timedelta(days=3),
    }  # fmt: skip


def history(plan: DocumentPlan, total: int) -> tuple[str, Fate, list[tuple[int, str, datetime]]]:
    """Who wrote the document, what became of it, and (number, state, when it reached
    that state) of each of its editions, oldest first."""
    rng = random.Random(SEED * 104729 + plan.document_id)
    author = rng.choice(EDITORS)
    destiny = fate(plan, total)
    return author, destiny, list(_editions(plan, destiny, rng))


def _editions(
    plan: DocumentPlan, destiny: Fate, rng: random.Random
) -> Iterator[tuple[int, str, datetime]]:
    moment = plan.published_at
    for number in range(1, destiny.editions + 1):
        last = number == destiny.editions
        state = (destiny.public or "published") if last else "superseded"
        yield number, state, moment
        moment += timedelta(days=rng.randint(1, 40))
    if destiny.working is not None:
        yield destiny.editions + 1, destiny.working, moment


def _edition_row(
    plan: DocumentPlan, row_id: int, number: int, state: str, moment: datetime, author: str
) -> dict[str, Any]:
    public = state not in IN_PROGRESS
    created = moment - timedelta(days=3)
    return {
        "id": row_id, "document_id": plan.document_id, "number": number, "state": state,
        "revision": 1 if number == 1 else 2,
        "title_ka": plan.title_ka if number == 1 else f"{plan.title_ka} (შესწორებული)",
        "title_en": None, "summary_ka": plan.summary_ka, "summary_en": None,
        "body_ka": plan.body_ka, "body_en": None, "translation_pending": True,
        "change_note": None if number == 1 else "შესწორდა ტექნიკური უზუსტობა",
        "change_kind": None if number == 1 else "minor", "publish_at": None,
        "created_by": author, "created_at": created, "updated_at": moment,
        "submitted_by": author if state != "draft" else None,
        "submitted_at": created + timedelta(hours=2) if state != "draft" else None,
        "approved_at": moment if public or state in ("approved", "scheduled") else None,
        "date_signed": plan.date_signed if public else None,
        "published_at": moment if public else None, "force_published": False,
        "review_pending_roles": ["head_of_department"] if state == "in_review" else [],
        "content_sha256": plan.signed["content_sha256"] if public else None,
        "publication_record": plan.signed["publication_record"] if public else None,
        "signature": plan.signed["signature"] if public else None,
        "public_explanation": "გამოქვეყნდა შეცდომით" if state in ("withdrawn", "unpublished")
        else None,
        "redirect_url": None,
    }  # fmt: skip


def _route(
    plan: DocumentPlan, number: int, state: str, moment: datetime, author: str
) -> list[dict[str, Any]]:
    """The audit trail of one edition: created, submitted, each step of its route, and
    what became of it."""
    steps = ROUTE_STEPS["act" if plan.is_act else "other"]
    created = moment - timedelta(days=3)
    trail: list[tuple[str, str, str, str, str | None]] = [
        ("create", "", "draft", author, None),
        ("submit", "draft", "submitted", author, None),
        ("start_review", "submitted", "in_review", "worker", None),
    ]
    for step in steps[:-1]:
        trail.append(("approve_step", "in_review", "in_review", REVIEWERS[step], step))
    last = steps[-1]
    trail.append(("approve", "in_review", "approved", REVIEWERS[last], last))
    trail.append(("publish", "approved", "published", "worker", None))
    if state == "withdrawn":
        trail.append(("withdraw", "published", "withdrawn", "tamar.gelashvili", None))
    elif state == "unpublished":
        trail.append(("unpublish", "published", "unpublished", "tamar.gelashvili", None))
    elif state == "superseded":
        trail.append(("supersede", "published", "superseded", "worker", None))
    elif state in IN_PROGRESS:
        if state in ("approved", "scheduled"):
            trail = trail[:-1]
        else:
            trail = trail[: {"draft": 1, "submitted": 2}.get(state, 3)]
        if state == "changes_requested":
            trail.append(("request_changes", "in_review", state, REVIEWERS[steps[0]], steps[0]))
        elif state == "scheduled":
            trail.append(("schedule", "approved", "scheduled", "worker", None))
    span = (moment - created) / len(trail)
    return [
        {"document_id": plan.document_id, "edition_number": number, "at": created + span * i,
         "actor": actor, "action": action, "from_state": origin, "to_state": target,
         "step": step, "comment": None, "details": {}, "idempotency_key": None}
        for i, (action, origin, target, actor, step) in enumerate(trail)
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------
# The website's read model.


async def fill_website(
    url: str,
    plans: Iterator[DocumentPlan],
    total: int,
    events: Iterable[dict[str, Any]] = (),
    batch: int = 200,
) -> Filled:
    """What the bus handlers would have written from every publication and public event:
    the public documents (current edition, status), every published edition, the acts'
    files, the search index (through the search module's own `index_document`), and the
    calendar."""
    from services.website.models import (
        PublicAttachment,
        PublicDocument,
        PublicEvent,
    )
    from services.website.search import index_document

    database = bulk(url)
    filled = Filled(ids={"act_ids": []})
    try:
        for group in batched(plans, batch):
            async with database.transaction() as session:
                shown: list[PublicDocument] = []
                for plan in group:
                    made = _public(plan, total)
                    if made is None:
                        continue
                    document, editions = made
                    shown.append(document)
                    session.add_all(editions)
                    if has_attachment(plan):
                        session.add(
                            PublicAttachment(
                                attachment_id=1, document_id=plan.document_id,
                                edition=document.edition, filename="ბრძანება.pdf",
                                media_type="application/pdf", size=len(PDF),
                                sha256=PDF_NAME[:64],
                                source_url=f"http://127.0.0.1/attachments/{plan.document_id}",
                                fetched_at=document.published_at, fetch_attempts=1,
                            )
                        )  # fmt: skip
                    if plan.is_act:
                        filled.ids["act_ids"].append(plan.document_id)
                session.add_all(shown)
                await session.flush()
                for document in shown:
                    if document.status != "unpublished":
                        await index_document(session, document)
                filled.counts["documents"] = filled.counts.get("documents", 0) + len(shown)
        calendar = [
            {"event_id": event["id"], "title_ka": event["title_ka"], "title_en": None,
             "description_ka": event["description_ka"], "description_en": None,
             "place_ka": _place(event), "place_en": None, "starts_at": event["starts_at"],
             "ends_at": event["ends_at"], "status": event["state"],
             "updated_at": event["updated_at"]}
            for event in events
        ]  # fmt: skip
        await insert_rows(database, PublicEvent, calendar)
        filled.counts["events"] = len(calendar)
    finally:
        await database.dispose()
    return filled


def _place(event: dict[str, Any]) -> str | None:
    venue = event.get("venue_id")
    return VENUES[venue - 1] if venue else event.get("place_ka")


def _public(plan: DocumentPlan, total: int) -> tuple[Any, list[Any]] | None:
    """The public document and its published editions, or None if it never was public."""
    from services.website.models import PublicDocument, PublicEdition

    _, destiny, editions = history(plan, total)
    if destiny.public is None:
        return None
    public = [(number, moment) for number, state, moment in editions if state not in IN_PROGRESS]
    number, moment = public[-1]
    title = plan.title_ka if number == 1 else f"{plan.title_ka} (შესწორებული)"
    issuer_code, issuer_ka, issuer_en = plan.issuer or (None, None, None)
    gone = destiny.public in ("withdrawn", "unpublished")
    document = PublicDocument(
        document_id=plan.document_id, edition=number, document_type=plan.document_type,
        status=destiny.public, title_ka=title, summary_ka=plan.summary_ka,
        body_html_ka=plan.body_ka, translation_pending=plan.document_type != "web_page",
        issuer_code=issuer_code, issuer_name_ka=issuer_ka, issuer_name_en=issuer_en,
        register_number=plan.register_number, register_sequence=plan.register_sequence,
        register_year=plan.register_year, date_signed=plan.date_signed, slug=plan.slug,
        nav_section=plan.nav_section, nav_order=plan.nav_order, published_at=moment,
        first_published_at=plan.published_at, updated_at=moment, force_published=False,
        public_explanation="გამოქვეყნდა შეცდომით" if gone else None,
        signing_key_pem=None, **plan.signed,
    )  # fmt: skip
    rows = [
        PublicEdition(
            document_id=plan.document_id,
            edition=each,
            published_at=when,
            title_ka=plan.title_ka if each == 1 else title,
            change_note=None if each == 1 else "შესწორდა ტექნიკური უზუსტობა",
            change_kind=None if each == 1 else "minor",
            **plan.signed,
        )
        for each, when in public
    ]
    return document, rows


# ---------------------------------------------------------------------------------------
# Events: the events service's own calendar (`services.events.scale`), then the work of
# its press conferences and meetings.

WHAT = [
    "შეხვედრა მოსახლეობასთან", "სამუშაო შეხვედრა", "ცერემონია", "ღვინის ტური",
    "შეხვედრა ფონდის წარმომადგენლებთან", "ახალგაზრდული ფორუმი", "გამოფენის გახსნა", "ბრიფინგი",
]  # fmt: skip
WHERE = ["ახმეტაში", "ზემო ალვანში", "დუისში", "მატანში", "ომალოში", "ქისტაურში", "ხორბალოში"]
PARTNER_NAMES = [
    "ევროპის საბჭოს ადგილობრივი დემოკრატიის სააგენტო", "გაეროს განვითარების პროგრამა",
    "აშშ-ის საერთაშორისო განვითარების სააგენტო",
    "გერმანიის საერთაშორისო თანამშრომლობის საზოგადოება",
    "ღია საზოგადოების ფონდი", "საქართველოს მუნიციპალიტეტების ეროვნული ასოციაცია",
    "მსოფლიო ბანკი", "ევროკავშირის წარმომადგენლობა საქართველოში",
]  # fmt: skip
# Of every twenty events: five press conferences, three meetings with officials, two with
# foundations and NGOs; the rest stay ceremonies, festivals and tourism events.
CASE_KINDS = {0: "press_conference", 1: "press_conference", 2: "press_conference",
              3: "press_conference", 4: "press_conference", 5: "official_meeting",
              6: "official_meeting", 7: "official_meeting", 8: "foundation_meeting",
              9: "foundation_meeting"}  # fmt: skip
MEETINGS = ("official_meeting", "foundation_meeting")


@dataclass
class EventsFilled(Filled):
    busiest_month: date = date(2000, 1, 1)
    # The calendar's public events, as the website shows them, and the press conferences.
    public: list[dict[str, Any]] = field(default_factory=list)
    conferences: list[int] = field(default_factory=list)


async def fill_events(url: str, count: int, now: datetime) -> EventsFilled:
    """The calendar as the events service writes it (`services.events.scale.fill`: events
    over two years around today with their venues, officials' bookings and history); then
    a quarter of them made press conferences and a quarter meetings, with their
    participants, agenda, minutes, briefing notes and follow-up actions."""
    from services.events import scale
    from services.events.models import (
        AgendaItem,
        BriefingNote,
        Event,
        FollowUpAction,
        Participant,
    )

    rng = random.Random(SEED + 1)
    database = bulk(url)
    filled = EventsFilled()
    rows: dict[str, list[dict[str, Any]]] = {
        name: [] for name in ("participants", "agenda", "actions", "notes")
    }
    try:
        filled.busiest_month = await scale.fill(database, count)
        async with database.session() as session:
            found = await session.execute(select(*_event_columns()))
            events = [dict(row._mapping) for row in found]
        async with database.transaction() as session:
            for event in events:
                kind = CASE_KINDS.get(event["id"] % 20)
                if kind is not None:
                    changed = _as_case(rng, event, kind, now)
                    await session.execute(
                        update(Event).where(Event.id == event["id"]).values(changed)
                    )
                    event.update(changed)
                    _event_work(rng, event, rows, now)
        await insert_rows(database, Participant, rows["participants"])
        await insert_rows(database, AgendaItem, rows["agenda"])
        await insert_rows(database, FollowUpAction, rows["actions"])
        await insert_rows(database, BriefingNote, rows["notes"])
    finally:
        await database.dispose()
    filled.counts = {"events": len(events)} | {name: len(each) for name, each in rows.items()}
    filled.public = [
        event for event in events if event["public"] and event["state"] not in ("draft",)
    ]
    conferences = [e["id"] for e in events if e["kind"] == "press_conference"]
    meetings = [
        e["id"] for e in events if e["kind"] == "foundation_meeting" and e["state"] == "completed"
    ]
    filled.ids = {
        "press_conference_id": conferences[len(conferences) // 2],
        "meeting_id": meetings[-1] if meetings else 1,
    }
    filled.conferences = conferences
    return filled


def _event_columns() -> list[Any]:
    from services.events.models import Event

    names = ("id", "kind", "state", "title_ka", "description_ka", "place_ka", "venue_id",
             "starts_at", "ends_at", "public", "created_at", "updated_at")  # fmt: skip
    return [getattr(Event, name) for name in names]


def _as_case(rng: random.Random, event: dict[str, Any], kind: str, now: datetime) -> dict[str, Any]:
    """What makes an event a press conference or a meeting: its title, who carries it,
    the partner met, and for a meeting held its minutes."""
    meeting = kind in MEETINGS
    held = meeting and event["state"] == "completed"
    title = "პრესკონფერენცია" if kind == "press_conference" else rng.choice(WHAT)
    return {
        "kind": kind,
        "title_ka": f"{title} {rng.choice(WHERE)}",
        "public": kind == "press_conference" or (kind == "foundation_meeting" and event["public"]),
        "responsible": rng.choice(MEDIA_DESK if kind == "press_conference" else PROTOCOL),
        "follow_up_kind": "press_release" if kind == "press_conference" else None,
        "partner_ka": rng.choice(PARTNER_NAMES) if kind == "foundation_meeting" else None,
        "minutes_ka": "შეხვედრის ოქმი: მხარეები შეთანხმდნენ თანამშრომლობის გაგრძელებაზე."
        if held else None,
        "minutes_by": rng.choice(PROTOCOL) if held else None,
        "minutes_at": event["ends_at"] if held else None,
        "follow_up_closed_at": event["ends_at"] if held else None,
        "created_by": rng.choice(PROTOCOL),
    }  # fmt: skip


def _event_work(
    rng: random.Random, event: dict[str, Any], rows: dict[str, list[Any]], now: datetime
) -> None:
    """Who was invited to a press conference or a meeting, its agenda, and what a
    meeting decided to do afterwards."""
    kind = event["kind"]
    if kind not in ("press_conference", "official_meeting", "foundation_meeting"):
        return
    writer = Writer(rng)
    for _ in range(rng.randint(2, 8)):
        name, _ = writer.person()
        rows["participants"].append({
            "event_id": event["id"], "kind": "journalist" if kind == "press_conference"
            else rng.choice(("official", "guest", "partner", "staff")),
            "full_name": name, "organisation": rng.choice(PARTNER_NAMES), "position": None,
            "email": None, "invited_at": event["created_at"],
            "rsvp": rng.choice(("pending", "accepted", "accepted", "declined")),
            "rsvp_at": None, "rsvp_note": None, "created_by": event["created_by"],
            "created_at": event["created_at"],
        })  # fmt: skip
    for position in range(rng.randint(1, 4)):
        rows["agenda"].append({
            "event_id": event["id"], "position": position,
            "title_ka": f"{rng.choice(WHAT)}: {rng.choice(PLACES)[0]} საკითხები",
            "title_en": None, "presenter": writer.person()[0],
            "duration_minutes": rng.choice((10, 15, 20, 30)),
        })  # fmt: skip
    if kind == "press_conference":
        return
    if kind == "foundation_meeting":
        rows["notes"].append({
            "case_id": event["id"], "author": event["responsible"],
            "due_at": event["starts_at"] - timedelta(days=2),
            "body_ka": f"{event['partner_ka']}: პარტნიორის პრიორიტეტები და მერიის თხოვნები.",
            "body_en": None, "status": "submitted", "updated_by": event["responsible"],
            "updated_at": event["created_at"], "submitted_by": event["responsible"],
            "submitted_at": event["created_at"],
        })  # fmt: skip
    if event["state"] != "completed":
        return
    for _ in range(rng.randint(0, 3)):
        due = event["ends_at"] + timedelta(days=rng.randint(7, 60))
        done = due < now - timedelta(days=7) and rng.random() < 0.85
        owner = rng.choice(PROTOCOL)
        rows["actions"].append({
            "case_id": event["id"], "event_id": event["id"],
            "title_ka": f"{rng.choice(OBJECTS)[1]} {rng.choice(WORKS)[1]} გეგმის მომზადება",
            "title_en": None, "owner": owner, "owner_role": "protocol_officer", "due_at": due,
            "status": "done" if done else "open", "closed_by": owner if done else None,
            "closed_at": due if done else None, "close_note": None,
            "reminded_at": due - timedelta(days=2) if due - timedelta(days=2) < now else None,
            "overdue_at": due if not done and due < now else None,
            "created_by": event["minutes_by"], "created_at": event["ends_at"],
        })  # fmt: skip


# ---------------------------------------------------------------------------------------
# Visits, partners, agreements, projects.

COUNTRIES = [("DE", "ბერლინი"), ("FR", "სტრასბურგი"), ("PL", "ვროცლავი"), ("LT", "ვილნიუსი"),
             ("UA", "ლვოვი"), ("EE", "ტარტუ"), ("US", "ვაშინგტონი"), ("AM", "დილიჟანი"),
             ("TR", "რიზე"), ("IT", "ტრევიზო"), ("GE", "თელავი"), ("GE", "სიღნაღი")]  # fmt: skip
PARTNER_KINDS = ["sister_city", "partner_city", "georgian_municipality",
                 "national_association", "international_organisation", "foundation", "ngo",
                 "government_agency"]  # fmt: skip
PROJECT_STAGES = ["idea", "concept_note", "application", "awarded", "rejected",
                  "implementation", "reporting", "closed", "withdrawn"]  # fmt: skip
BUDGET_WORDS = {"accommodation": "განთავსება", "transport": "ტრანსპორტი", "meals": "კვება",
                "gifts": "საჩუქრები"}  # fmt: skip
DEADLINE_WORDS = {"application": "განაცხადის წარდგენა", "interim_report": "შუალედური ანგარიში",
                  "final_report": "საბოლოო ანგარიში"}  # fmt: skip
MEMBER_ROLES = ["head", "deputy_head", "member", "member", "member", "interpreter", "journalist"]


async def fill_visits(url: str, scale: Scale, now: datetime) -> Filled:
    """Partners, visits with their members (purged once the retention after a closed visit
    ended), programme, logistics tasks from their checklists, budget, report and history,
    agreements, and international projects with their deadlines."""
    from services.visits.checklists import TEMPLATES, VISIT_KINDS, direction_of, due_at
    from services.visits.models import (
        Agreement,
        BudgetLine,
        LogisticsTask,
        Member,
        Partner,
        ProgrammeItem,
        Project,
        ProjectDeadline,
        Visit,
        VisitHistoryEntry,
        VisitReport,
    )

    rng = random.Random(SEED + 2)
    writer = Writer(rng)
    first = start_of_history(now)
    partners = [_partner(rng, index + 1, first) for index in range(scale.partners)]
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in (
        "visits", "members", "programme", "tasks", "budget", "reports", "history")}  # fmt: skip
    span = (now + timedelta(days=180) - first).days
    for visit_id in range(1, scale.visits + 1):
        kind = rng.choice(VISIT_KINDS)
        arrival = (first + timedelta(days=span * visit_id // scale.visits)).date()
        departure = arrival + timedelta(days=rng.randint(1, 5))
        partner = rng.choice(partners)
        status = _visit_status(rng, arrival, departure, now.date())
        closed = datetime.combine(departure + timedelta(days=10), time(12), tzinfo=UTC)
        is_closed = status == "closed"
        purged = is_closed and closed < now - timedelta(days=90)
        size = rng.randint(3, 10)
        moment = datetime.combine(arrival - timedelta(days=45), time(9), tzinfo=UTC)
        place_gen, place_loc = rng.choice(PLACES)
        rows["visits"].append({
            "id": visit_id, "kind": kind, "direction": direction_of(kind), "status": status,
            "title_ka": f"{partner['name_ka']} — ვიზიტი {place_loc}", "title_en": None,
            "purpose_ka": f"თანამშრომლობა {place_gen} {rng.choice(OBJECTS)[1]} "
            f"{rng.choice(WORKS)[1]} საკითხებზე", "purpose_en": None,
            "partner_id": partner["id"], "country": partner["country"],
            "city": partner["city"], "places": [place_loc], "languages": ["ka", "en"],
            "arrival_on": arrival, "departure_on": departure, "arrives_at": None,
            "departs_at": None, "responsible": rng.choice(PROTOCOL),
            "press_editor": rng.choice(EDITORS), "created_by": rng.choice(PROTOCOL),
            "created_at": moment, "updated_at": closed if is_closed else moment,
            "status_reason": None, "approved_by": "mayor.akhmeta"
            if status not in ("requested", "cancelled") else None,
            "approved_at": moment + timedelta(days=2)
            if status not in ("requested", "cancelled") else None,
            "closed_at": closed if is_closed else None, "press_release_document_id": None,
            "members_purged_at": closed + timedelta(days=91) if purged else None,
            "purged_member_count": size if purged else None,
        })  # fmt: skip
        if not purged:
            for _ in range(size):
                rows["members"].append({
                    "visit_id": visit_id, "full_name": writer.person()[0],
                    "position": "დელეგაციის წევრი", "organisation": partner["name_ka"],
                    "country": partner["country"], "delegation_role": rng.choice(MEMBER_ROLES),
                    "dietary_needs": None, "access_needs": None,
                    "interpretation_language": "en", "created_by": "mariam.chokheli",
                    "created_at": moment,
                })  # fmt: skip
        for day in range((departure - arrival).days + 1):
            for hour in rng.sample((10, 12, 15, 18), rng.randint(1, 3)):
                starts = datetime.combine(arrival + timedelta(days=day), time(hour),
                                          tzinfo=TBILISI).astimezone(UTC)  # fmt: skip
                rows["programme"].append({
                    "visit_id": visit_id, "kind": rng.choice(("meeting", "site_visit", "meal",
                                                              "cultural", "press_event")),
                    "starts_at": starts, "ends_at": starts + timedelta(hours=1, minutes=30),
                    "title_ka": f"{rng.choice(WHAT)} {rng.choice(WHERE)}", "title_en": None,
                    "place_ka": rng.choice(VENUES), "place_en": None, "participants": [],
                    "notes": None, "sequence": 0, "updated_at": moment,
                })  # fmt: skip
        for item in TEMPLATES[kind]:
            due = due_at(item.anchor, item.offset_days, arrival, departure, 18)
            settled = is_closed or (due < now and rng.random() < 0.9)
            rows["tasks"].append({
                "visit_id": visit_id, "key": item.key, "title_ka": item.title_ka,
                "title_en": item.title_en, "owner": rng.choice(PROTOCOL)
                if item.owner_role == "protocol_officer" else None,
                "owner_role": item.owner_role, "anchor": item.anchor,
                "offset_days": item.offset_days, "due_overridden": False, "due_at": due,
                "required": item.required,
                "status": ("done" if item.required else "waived") if settled else "open",
                "notes": None, "closed_by": "mariam.chokheli" if settled else None,
                "closed_at": due - timedelta(days=1) if settled else None,
                "close_reason": None, "reminded_at": due - timedelta(days=2)
                if due - timedelta(days=2) < now else None,
                "overdue_at": due if due < now and not settled else None,
            })  # fmt: skip
        for category in rng.sample(("accommodation", "transport", "meals", "gifts"), 3):
            planned = rng.randint(5, 200) * 100
            rows["budget"].append({
                "visit_id": visit_id, "category": category,
                "description_ka": f"{BUDGET_WORDS[category]} — {place_loc}",
                "description_en": None,
                "planned_gel": planned, "actual_gel": planned if is_closed else None,
                "notes": None,
            })  # fmt: skip
        if is_closed:
            rows["reports"].append({
                "visit_id": visit_id, "outcomes_ka": "ვიზიტის შედეგად მხარეები შეთანხმდნენ "
                "ერთობლივი პროექტის მომზადებაზე.", "outcomes_en": None,
                "agreements_reached_ka": None, "agreements_reached_en": None,
                "follow_up": [], "written_by": rng.choice(PROTOCOL), "updated_at": closed,
            })  # fmt: skip
        for action, origin, target in _visit_trail(status):
            rows["history"].append({
                "visit_id": visit_id, "at": moment, "actor": rng.choice(PROTOCOL),
                "action": action, "from_status": origin, "to_status": target,
                "task_key": None, "reason": None, "details": {}, "idempotency_key": None,
            })  # fmt: skip
    agreements = [_agreement(rng, index + 1, rng.choice(partners), now)
                  for index in range(max(5, scale.partners * 2 // 5))]  # fmt: skip
    projects, deadlines = _projects(rng, scale.projects, partners, now)
    database = bulk(url)
    try:
        await insert_rows(database, Partner, partners)
        await insert_rows(database, Visit, rows["visits"])
        await insert_rows(database, Member, rows["members"])
        await insert_rows(database, ProgrammeItem, rows["programme"])
        await insert_rows(database, LogisticsTask, rows["tasks"])
        await insert_rows(database, BudgetLine, rows["budget"])
        await insert_rows(database, VisitReport, rows["reports"])
        await insert_rows(database, VisitHistoryEntry, rows["history"])
        await insert_rows(database, Agreement, agreements)
        await insert_rows(database, Project, projects)
        await insert_rows(database, ProjectDeadline, deadlines)
    finally:
        await database.dispose()
    filled = Filled(counts={name: len(each) for name, each in rows.items()})
    filled.counts |= {"partners": len(partners), "agreements": len(agreements),
                      "projects": len(projects), "deadlines": len(deadlines)}  # fmt: skip
    upcoming = [v["id"] for v in rows["visits"] if v["arrival_on"] >= now.date()]
    filled.ids = {"visit_id": upcoming[0] if upcoming else scale.visits,
                  "partner_id": 1, "agreement_id": 1, "project_id": 1}  # fmt: skip
    return filled


def _visit_status(rng: random.Random, arrival: date, departure: date, today: date) -> str:
    if departure < today - timedelta(days=10):
        return "cancelled" if rng.random() < 0.05 else "closed"
    if departure < today:
        return "report_due"
    if arrival <= today:
        return "under_way"
    if arrival < today + timedelta(days=14):
        return rng.choice(("in_preparation", "ready"))
    return rng.choice(("requested", "approved", "in_preparation"))


VISIT_TRAIL = [
    ("approve", "requested", "approved"),
    ("start_preparation", "approved", "in_preparation"),
    ("become_ready", "in_preparation", "ready"),
    ("begin", "ready", "under_way"),
    ("end", "under_way", "report_due"),
    ("close", "report_due", "closed"),
]


def _visit_trail(status: str) -> list[tuple[str, str, str]]:
    if status == "cancelled":
        return [("cancel", "requested", "cancelled")]
    steps = list(VISIT_TRAIL)
    reached = next((i for i, step in enumerate(steps) if step[2] == status), -1)
    return [("request", "", "requested"), *steps[: reached + 1]]


def _partner(rng: random.Random, partner_id: int, first: datetime) -> dict[str, Any]:
    country, city = rng.choice(COUNTRIES)
    kind = rng.choice(PARTNER_KINDS)
    name = (
        rng.choice(PARTNER_NAMES)
        if kind in ("foundation", "ngo", "international_organisation")
        else city
    )
    return {
        "id": partner_id, "kind": kind, "name_ka": f"{name} {partner_id}", "name_en": None,
        "country": country, "city": city, "website": None, "contact_name": None,
        "contact_email": f"office{partner_id}@partner.example", "contact_phone": None,
        "partnership_since": (first + timedelta(days=rng.randrange(2000))).date(),
        "notes": None, "created_by": "mariam.chokheli", "created_at": first,
    }  # fmt: skip


def _agreement(
    rng: random.Random, agreement_id: int, partner: dict[str, Any], now: datetime
) -> dict[str, Any]:
    signed = (now - timedelta(days=rng.randrange(2000))).date()
    expires = signed + timedelta(days=rng.choice((365, 730, 1095, 1825)))
    status = "in_force" if expires > now.date() else "expired"
    return {
        "id": agreement_id, "partner_id": partner["id"],
        "kind": rng.choice(("memorandum", "twinning", "cooperation", "grant_agreement")),
        "title_ka": f"ურთიერთთანამშრომლობის მემორანდუმი — {partner['name_ka']}",
        "title_en": None, "parties": ["ახმეტის მუნიციპალიტეტი", partner["name_ka"]],
        "signed_on": signed, "expires_on": expires, "renewal_notice_days": 90,
        "status": status, "notes": None,
        "renewal_reminded_for": expires if expires < now.date() + timedelta(days=90) else None,
        "created_by": "mariam.chokheli", "created_at": datetime.combine(signed, time(9), UTC),
    }  # fmt: skip


def _projects(
    rng: random.Random, count: int, partners: list[dict[str, Any]], now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    projects, deadlines = [], []
    for project_id in range(1, count + 1):
        donor = rng.choice(partners)
        stage = rng.choice(PROJECT_STAGES)
        created = now - timedelta(days=rng.randrange(2000))
        place_gen = rng.choice(PLACES)[0]
        projects.append({
            "id": project_id, "title_ka": f"{place_gen} {rng.choice(OBJECTS)[1]} "
            f"{rng.choice(WORKS)[1]} პროექტი", "title_en": None,
            "donor_partner_id": donor["id"], "donor": donor["name_ka"], "call": None,
            "amount": rng.randint(10, 900) * 1000, "currency": "EUR", "stage": stage,
            "summary_ka": f"პროექტი {place_gen} მოსახლეობისთვის.", "summary_en": None,
            "responsible": rng.choice(PROTOCOL), "partner_ids": [donor["id"]],
            "created_by": rng.choice(PROTOCOL), "created_at": created, "updated_at": created,
        })  # fmt: skip
        for kind, days in (("application", 60), ("interim_report", 400), ("final_report", 800)):
            due = (created + timedelta(days=days)).date()
            met = due < now.date() and rng.random() < 0.9
            deadlines.append({
                "project_id": project_id, "kind": kind, "title_ka": DEADLINE_WORDS[kind],
                "title_en": None, "due_on": due, "met_on": due if met else None,
                "reminded_days": [30, 14, 3] if due < now.date() + timedelta(days=30) else [],
            })  # fmt: skip
    return projects, deadlines


# ---------------------------------------------------------------------------------------
# Media: outlets, journalists, lists, monitoring, responses, accreditation, mailings, the
# library, information requests.

TOPICS = ["governance", "infrastructure", "tourism", "agriculture", "education", "health",
          "culture", "social", "environment", "international"]  # fmt: skip
SOURCES = ["მერიის არქივი", "საკრებულოს ოქმები", "ბიუჯეტის შესრულების ანგარიში",
           "შესყიდვების ელექტრონული სისტემა", "სამსახურების ანგარიშები"]  # fmt: skip


def small_jpeg() -> bytes:
    """A 16×16 photograph: the library's files are small here, their number is not."""
    import io

    from PIL import Image

    image = Image.new("RGB", (16, 16), (180, 40, 40))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def place_files(folder: Path, names: Sequence[str], content: bytes) -> None:
    """The same small file under many names: hard links where the disk allows."""
    folder.mkdir(parents=True, exist_ok=True)
    original = folder / ".scale-original"
    original.write_bytes(content)
    for name in names:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            continue
        try:
            target.hardlink_to(original)
        except OSError:
            shutil.copyfile(original, target)


async def fill_media(
    url: str,
    scale: Scale,
    now: datetime,
    *,
    library_dir: Path | None = None,
    release_ids: Sequence[tuple[int, datetime]] = (),
    press_conference_ids: Sequence[int] = (),
) -> Filled:
    """What the media desk keeps after years: the press office of the media service's
    own scale data (`services.media.scale`: outlets, journalists with their consents,
    distribution lists with who is on each), then each journalist's record, the monitored
    stories (a few answered), enquiries, accreditations for press conferences, the last
    two years' press mailings with a delivery per recipient, the library, and the
    information desk's requests with their answers."""
    from services.media import models as m
    from services.media import scale as press_office
    from services.media.information import keys_of

    rng = random.Random(SEED + 3)
    writer = Writer(rng)
    first = start_of_history(now)
    database = bulk(url)
    rows: dict[str, list[dict[str, Any]]] = {}
    office = press_office.Scale(
        journalists=scale.journalists, lists=scale.lists, outlets=scale.of(300, 15)
    )
    try:
        await press_office.fill(database, office)
        outlets, journalists, reached = await _press_office(database)
        journalist_ids = [row["id"] for row in journalists]
        rows["record"] = [
            {"journalist_id": journalist_id, "at": first, "actor": "natia.janelidze",
             "action": "recorded", "accreditation_id": None, "enquiry_id": None,
             "response_id": None, "note": None, "details": {}, "idempotency_key": None}
            for journalist_id in journalist_ids
        ]  # fmt: skip
        rows["feeds"] = [
            {"id": outlet["id"], "outlet_id": outlet["id"],
             "url": f"http://127.0.0.1:9/feeds/{outlet['id']}.rss", "keywords": ["ახმეტა"],
             "active": False, "etag": None, "modified": None, "last_read_at": None,
             "last_error": None, "items_found": 0, "created_by": "natia.janelidze",
             "created_at": first}
            for outlet in outlets[:40]
        ]  # fmt: skip
        rows["items"], rows["responses"] = _monitoring(rng, writer, scale, outlets, first, now)
        rows["enquiries"] = _enquiries(rng, scale, journalists, first, now)
        rows["windows"], rows["accreditations"] = _accreditations(
            rng, press_conference_ids, journalist_ids, now
        )
        rows["mailings"], rows["deliveries"] = _mailings(
            rng, release_ids, reached, {row["id"]: row for row in journalists}, now
        )
        rows["library"] = _library(rng, scale, first, now)
        rows["requests"], rows["request_files"], rows["request_entries"] = _information(
            rng, writer, scale, first, now, keys_of
        )
        for model, name in (
            (m.RecordEntry, "record"), (m.MonitoringFeed, "feeds"),
            (m.MonitoringItem, "items"), (m.MediaResponse, "responses"),
            (m.Enquiry, "enquiries"), (m.AccreditationWindow, "windows"),
            (m.Accreditation, "accreditations"), (m.Mailing, "mailings"),
            (m.Delivery, "deliveries"), (m.LibraryItem, "library"),
            (m.InformationRequest, "requests"), (m.InformationFile, "request_files"),
            (m.InformationEntry, "request_entries"),
        ):  # fmt: skip
            await insert_rows(database, model, rows[name])
    finally:
        await database.dispose()
    if library_dir is not None:
        names = [row["stored_name"] for row in rows["library"]]
        names += [row["thumbnail_name"] for row in rows["library"] if row["thumbnail_name"]]
        place_files(library_dir, names, small_jpeg())
        place_files(library_dir, [row["stored_name"] for row in rows["request_files"]], PDF)
    filled = Filled(
        counts={"outlets": len(outlets), "journalists": len(journalists),
                "lists": office.lists} | {k: len(v) for k, v in rows.items()}
    )  # fmt: skip
    filled.ids = {
        "outlet_id": 1, "journalist_id": journalist_ids[len(journalist_ids) // 2],
        "list_id": min(reached) if reached else 1, "item_id": rows["items"][-1]["id"],
        "response_id": rows["responses"][-1]["id"] if rows["responses"] else 1,
        "library_id": rows["library"][-1]["id"],
        "request_id": rows["requests"][-1]["id"],
        "mailing_id": rows["mailings"][-1]["id"] if rows["mailings"] else 1,
        "accreditation_id": rows["accreditations"][-1]["id"] if rows["accreditations"] else 1,
        "window_event_id": rows["windows"][-1]["event_id"] if rows["windows"] else 1,
        "badge_token": rows["accreditations"][-1]["badge_token"]
        if rows["accreditations"]
        else "none",
    }  # fmt: skip
    return filled


async def _press_office(
    database: Database,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[int, list[int]]]:
    """The outlets and journalists the press office holds, and whom each static list
    reaches."""
    from services.media.models import DistributionList, Journalist, ListMember, Outlet

    async with database.session() as session:
        outlets = [
            dict(row._mapping)
            for row in await session.execute(select(Outlet.id, Outlet.medium).order_by(Outlet.id))
        ]
        found = await session.execute(
            select(Journalist.id, Journalist.outlet_id, Journalist.full_name, Journalist.email)
        )
        journalists = [dict(row._mapping) for row in found]
        static = await session.execute(
            select(ListMember.list_id, ListMember.journalist_id)
            .join(DistributionList, DistributionList.id == ListMember.list_id)
            .where(DistributionList.kind == "static", ListMember.reached.is_(True))
        )
        reached: dict[int, list[int]] = {}
        for list_id, journalist_id in static.tuples():
            reached.setdefault(list_id, []).append(journalist_id)
    return outlets, journalists, reached


def _monitoring(
    rng: random.Random, writer: Writer, scale: Scale, outlets: list[dict[str, Any]],
    first: datetime, now: datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:  # fmt: skip
    items: list[dict[str, Any]] = []
    responses: list[dict[str, Any]] = []
    count = scale.monitoring_items
    for item_id in range(1, count + 1):
        outlet = rng.choice(outlets)
        day = (first + (now - first) * item_id / count).date()
        title, lead, _ = writer.news(day.year)
        needed = rng.random() < 0.02
        response_id = len(responses) + 1 if needed else None
        items.append({
            "id": item_id, "outlet_id": outlet["id"], "published_on": day,
            "medium": outlet["medium"], "title": title,
            "link": f"https://outlet{outlet['id']}.example/news/{item_id}", "summary": lead,
            "topic": rng.choice(TOPICS), "officials_mentioned": ["mayor"]
            if rng.random() < 0.3 else [],
            "sentiment": rng.choice(("positive", "neutral", "neutral", "negative")),
            "response_needed": needed, "source": "feed" if outlet["id"] <= 40 else "manual",
            "guid": f"outlet{outlet['id']}-{item_id}",
            "feed_id": outlet["id"] if outlet["id"] <= 40 else None,
            "response_id": response_id, "recorded_by": rng.choice(MEDIA_DESK),
            "recorded_at": datetime.combine(day, time(12), UTC),
            "updated_at": datetime.combine(day, time(12), UTC),
        })  # fmt: skip
        if needed:
            at = datetime.combine(day, time(13), UTC)
            old = at < now - timedelta(days=14)
            responses.append({
                "id": response_id, "item_id": item_id, "enquiry_id": None,
                "subject": title[:500], "status": rng.choice(("published", "sent"))
                if old else "drafting", "owner": rng.choice(MEDIA_DESK),
                "due_at": at + timedelta(days=1), "approval_required": True,
                "channel": "statement", "text_ka": "მერიის განცხადება: ინფორმაცია არ შეესაბამება "
                "სინამდვილეს." if old else None, "text_en": None,
                "drafted_by": None, "drafted_at": None,
                "approved_by": "tamar.gelashvili" if old else None,
                "approved_at": at + timedelta(hours=6) if old else None, "document_id": None,
                "mailing_id": None, "outcome": None, "outcome_note": None,
                "completed_at": at + timedelta(hours=8) if old else None,
                "created_by": rng.choice(MEDIA_DESK), "created_at": at,
            })  # fmt: skip
    return items, responses


def _enquiries(
    rng: random.Random, scale: Scale, journalists: list[dict[str, Any]], first: datetime,
    now: datetime,
) -> list[dict[str, Any]]:  # fmt: skip
    made = []
    for enquiry_id in range(1, max(5, scale.journalists // 5) + 1):
        journalist = rng.choice(journalists)
        received = first + (now - first) * rng.random()
        made.append({
            "id": enquiry_id, "kind": rng.choice(("question", "interview_request")),
            "journalist_id": journalist["id"], "outlet_id": journalist["outlet_id"],
            "subject": f"{rng.choice(PLACES)[0]} {rng.choice(OBJECTS)[1]} რეაბილიტაცია",
            "question": "როდის დასრულდება სამუშაოები და რა ღირს პროექტი?",
            "channel": rng.choice(("email", "phone")), "received_at": received,
            "deadline": received + timedelta(days=2), "logged_by": rng.choice(MEDIA_DESK),
            "response_id": None,
        })  # fmt: skip
    return made


def _accreditations(
    rng: random.Random, event_ids: Sequence[int], journalist_ids: list[int], now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    windows: list[dict[str, Any]] = []
    accreditations: list[dict[str, Any]] = []
    for event_id in event_ids:
        opened = now - timedelta(days=rng.randrange(700)) + timedelta(days=60)
        closes = opened + timedelta(days=5)
        windows.append({
            "event_id": event_id, "title_ka": "პრესკონფერენცია", "title_en": None,
            "starts_at": closes + timedelta(hours=20), "closes_at": closes,
            "status": "closed" if closes < now else "open", "close_reason": None,
            "opened_by": "worker", "opened_at": opened,
            "closed_by": "worker" if closes < now else None,
            "closed_at": closes if closes < now else None,
        })  # fmt: skip
        for journalist_id in rng.sample(journalist_ids, min(len(journalist_ids),
                                                             rng.randint(2, 10))):  # fmt: skip
            accreditations.append({
                "id": len(accreditations) + 1, "event_id": event_id,
                "journalist_id": journalist_id, "outlet_id": None, "outlet_name": None,
                "status": rng.choice(("approved", "approved", "approved", "refused")),
                "source": "staff", "role": "journalist", "requested_by": "natia.janelidze",
                "requested_at": opened, "decided_by": "natia.janelidze", "decided_at": opened,
                "refusal_reason": None, "badge_token": f"{rng.getrandbits(128):032x}",
                "checked_in_at": None, "checked_in_by": None,
            })  # fmt: skip
    return windows, accreditations


def _mailings(
    rng: random.Random, release_ids: Sequence[tuple[int, datetime]],
    reached: dict[int, list[int]], journalists: dict[int, dict[str, Any]], now: datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:  # fmt: skip
    """Press distribution began two years ago: a mailing per press release since then,
    to one static list, a delivery per journalist it reached."""
    mailings: list[dict[str, Any]] = []
    deliveries: list[dict[str, Any]] = []
    if not reached:
        return mailings, deliveries
    recent = [document_id for document_id, at in release_ids if at > now - timedelta(days=730)]
    for document_id in recent:
        list_id = rng.choice(sorted(reached))
        at = now - timedelta(days=rng.randrange(730))
        mailing_id = len(mailings) + 1
        mailings.append({
            "id": mailing_id, "kind": "release", "key": f"release:{document_id}:1",
            "document_id": document_id, "edition": 1, "document_type": "press_release",
            "event_id": None, "subject_ka": "პრესრელიზი", "subject_en": None,
            "text_ka": "ახმეტის მუნიციპალიტეტის მერიის პრესრელიზი.", "text_en": None,
            "html_ka": None, "html_en": None, "link": None, "list_ids": [list_id],
            "unsubscribable": True, "created_at": at, "completed_at": at + timedelta(minutes=5),
        })  # fmt: skip
        for journalist_id in reached[list_id]:
            person = journalists[journalist_id]
            deliveries.append({
                "mailing_id": mailing_id, "journalist_id": journalist_id,
                "email": person["email"], "name": person["full_name"], "language": "ka",
                "message_id": f"<{mailing_id}.{journalist_id}@akhmeta.example>",
                "status": "sent", "attempts": 1, "not_before": None, "smtp_answer": "250 OK",
                "sent_at": at, "updated_at": at,
            })  # fmt: skip
    return mailings, deliveries


def _library(
    rng: random.Random, scale: Scale, first: datetime, now: datetime
) -> list[dict[str, Any]]:
    made = []
    for item_id in range(1, scale.library_items + 1):
        taken = (first + (now - first) * item_id / scale.library_items).date()
        place = rng.choice(PLACES)[1]
        stored = f"{item_id:08x}{rng.getrandbits(64):016x}.jpg"
        made.append({
            "id": item_id, "kind": "photo",
            "caption_ka": f"{rng.choice(FESTIVALS)[0]} {place}", "caption_en": None,
            "author": rng.choice(MEDIA_DESK), "taken_on": taken,
            "event_id": rng.randrange(1, scale.events + 1) if rng.random() < 0.5 else None,
            "visit_id": rng.randrange(1, scale.visits + 1) if rng.random() < 0.1 else None,
            "licence": rng.choice(("cc_by_4.0", "press_use_only", "all_rights_reserved")),
            "consent": rng.choice(("not_needed", "public_event")), "consent_note": None,
            "filename": f"IMG_{item_id:05d}.jpg", "stored_name": stored,
            "media_type": "image/jpeg", "size": 700, "sha256": f"{rng.getrandbits(256):064x}",
            "width": 16, "height": 16, "thumbnail_name": f"thumbnails/{stored}.jpg",
            "location_removed": False, "uploaded_by": rng.choice(MEDIA_DESK),
            "uploaded_at": datetime.combine(taken, time(17), UTC),
        })  # fmt: skip
    return made


def _information(
    rng: random.Random, writer: Writer, scale: Scale, first: datetime, now: datetime,
    keys_of: Any,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:  # fmt: skip
    requests, files, entries = [], [], []
    count = scale.information_requests
    for request_id in range(1, count + 1):
        created = first + (now - first) * request_id / count
        title, _, body, _ = writer.act(created.year)
        question = f"გთხოვთ მოგვაწოდოთ ინფორმაცია: {title}"
        finished = created < now - timedelta(days=20)
        status = rng.choice(("answered",) * 8 + ("declined", "withdrawn")) if finished else "open"
        answer = body if status == "answered" else None
        requester = rng.choice(REQUESTERS)
        requests.append({
            "id": request_id, "requester": requester, "requester_name": requester,
            "requester_unit": "მუნიციპალიტეტის საკრებულოს აპარატი", "title": title[:500],
            "question": question, "sources": rng.sample(SOURCES, 2),
            "needed_by": created + timedelta(days=10), "status": status,
            "owner": rng.choice(MEDIA_DESK), "answer_text": answer,
            "answer_drafted_by": rng.choice(MEDIA_DESK) if answer else None,
            "answered_by": "tamar.gelashvili" if answer else None,
            "answered_at": created + timedelta(days=7) if answer else None,
            "close_reason": None if status in ("answered", "open") else "საჭირო აღარ არის",
            "search_keys": f" {' '.join(sorted(keys_of(title, question, answer)))} ",
            "created_at": created,
        })  # fmt: skip
        entries.append({"request_id": request_id, "action": "received", "actor": requester,
                        "note": None, "at": created, "idempotency_key": None})  # fmt: skip
        if answer:
            entries.append({"request_id": request_id, "action": "answered",
                            "actor": "tamar.gelashvili", "note": None,
                            "at": created + timedelta(days=7),
                            "idempotency_key": None})  # fmt: skip
            if rng.random() < 0.3:
                files.append({
                    "request_id": request_id, "filename": "ცნობა.pdf",
                    "media_type": "application/pdf", "size": len(PDF), "sha256": PDF_NAME[:64],
                    "stored_name": f"answers/{request_id:08x}.pdf",
                    "added_by": "natia.janelidze",
                    "added_at": created + timedelta(days=6),
                })  # fmt: skip
    return requests, files, entries


# ---------------------------------------------------------------------------------------
# The portal: staff accounts, what changed in them, and years of notifications.

NOTICES = [
    ("task", "ახალი დავალება: {}", "New task: {}"),
    ("reminder", "შეხსენება: {}", "Reminder: {}"),
    ("decision", "გადაწყვეტილება მიღებულია: {}", "Decided: {}"),
]


async def fill_portal(url: str, scale: Scale, now: datetime, password: str) -> Filled:
    """The staff accounts (every one with `password`), their creation in the accounts'
    history, and the notifications years of cases left each of them."""
    from services.portal.accounts import hash_password
    from services.portal.models import Account, AccountChange, Notification

    rng = random.Random(SEED + 4)
    writer = Writer(rng)
    first = start_of_history(now)
    hashed = hash_password(password)
    accounts = [
        {"username": username, "display_name": name, "email": f"{username}@akhmeta.gov.ge",
         "roles": roles, "password_hash": hashed, "language": "ka", "active": True,
         "email_notifications": False, "last_sign_in": None, "last_sign_in_address": None,
         "created_at": first}
        for username, name, roles in STAFF
    ]  # fmt: skip
    changes = [
        {"username": account["username"], "at": first, "actor": "portal.admin",
         "action": "created", "changes": {"roles": {"before": None, "after": account["roles"]},
                                          "password": {"set": True}},
         "reason": "ახალი თანამშრომელი"}
        for account in accounts
    ]  # fmt: skip
    notifications = []
    count = scale.of(50_000, 50)
    for number in range(1, count + 1):
        username = STAFF[number % len(STAFF)][0]
        kind, ka, en = rng.choice(NOTICES)
        title = writer.news(now.year)[0]
        at = first + (now - first) * number / count
        notifications.append({
            "event_id": f"{number:032x}", "username": username, "kind": kind,
            "text_ka": ka.format(title), "text_en": en.format(title),
            "link": f"/documents/{rng.randrange(1, scale.documents)}", "created_at": at,
            "read_at": at + timedelta(hours=3) if at < now - timedelta(days=7) else None,
            "email_status": "none", "email_attempts": 0, "email_error": None,
        })  # fmt: skip
    database = bulk(url)
    try:
        await insert_rows(database, Account, accounts)
        await insert_rows(database, AccountChange, changes)
        await insert_rows(database, Notification, notifications)
    finally:
        await database.dispose()
    return Filled(counts={"accounts": len(accounts), "account_changes": len(changes),
                          "notifications": len(notifications)})  # fmt: skip


# ---------------------------------------------------------------------------------------
# The whole department, in a folder.

SERVICES = ("publishing", "events", "visits", "media", "portal", "website")


def database_url(folder: Path, service: str) -> str:
    return f"sqlite:///{folder / service}.db"


async def migrate_service(url: str, service: str) -> None:
    """The service's schema as `meria migrate` makes it."""
    from meria.db import migrate
    from meria.processes import PROCESSES

    parts = PROCESSES[service].parts()
    assert parts.metadata is not None and parts.migrations is not None
    database = Database(url)
    try:
        await migrate(database, parts.migrations, parts.metadata)
    finally:
        await database.dispose()


async def build(
    folder: Path, scale: Scale, password: str, now: datetime | None = None
) -> dict[str, Any]:
    """Every service's database (`<service>.db`) and files (`var/`) in `folder`, migrated
    and filled; returns what was written, ids to ask for, and how long each part took.
    The website's read model (the longest part: every document indexed) is written by a
    second process meanwhile, once the calendar it shows is there."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    var = folder / "var"
    for service in SERVICES:
        await migrate_service(database_url(folder, service), service)
    made: dict[str, Filled] = {}
    seconds: dict[str, float] = {}

    async def timed(name: str, fill: Awaitable[Filled]) -> Filled:
        started = clock.perf_counter()
        made[name] = await fill
        seconds[name] = round(clock.perf_counter() - started, 1)
        return made[name]

    events = await timed("events", fill_events(database_url(folder, "events"), scale.events, now))
    assert isinstance(events, EventsFilled)
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(1) as pool:
        website = loop.run_in_executor(pool, fill_website_apart, folder, scale, now, events.public)
        publishing = await timed("publishing", fill_publishing(
            database_url(folder, "publishing"), document_plans(mix(scale.documents), now=now),
            scale.documents + len(STANDING_PAGES), var / "publishing" / "attachments",
        ))  # fmt: skip
        await timed("visits", fill_visits(database_url(folder, "visits"), scale, now))
        await timed("media", fill_media(
            database_url(folder, "media"), scale, now, library_dir=var / "media" / "library",
            release_ids=publishing.releases, press_conference_ids=events.conferences,
        ))  # fmt: skip
        await timed("portal", fill_portal(database_url(folder, "portal"), scale, now, password))
        made["website"], seconds["website"] = await website
    ids = {name: each.ids for name, each in made.items()}
    ids["events"] |= {"busiest_month": f"{events.busiest_month:%Y-%m}"}
    return {
        "now": now.isoformat(),
        "counts": {name: each.counts for name, each in made.items()},
        "ids": ids,
        "seconds": seconds,
    }


def fill_website_apart(
    folder: Path, scale: Scale, now: datetime, events: list[dict[str, Any]]
) -> tuple[Filled, float]:
    """The website's read model, in a process of its own."""
    started = clock.perf_counter()
    filled = asyncio.run(
        fill_website(
            database_url(folder, "website"),
            document_plans(mix(scale.documents), now=now),
            scale.documents + len(STANDING_PAGES),
            events,
        )
    )
    filled.ids.pop("act_ids")
    return filled, round(clock.perf_counter() - started, 1)
