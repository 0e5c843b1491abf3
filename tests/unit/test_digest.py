"""The monthly press digest: when it is compiled (the first working day of each month,
Georgia's holidays and extra days off left out), its sections in order with a sentence
for an empty one, and its PDF, whose extracted text carries the Georgian titles."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from workflows.digest_calendar import TBILISI, compile_times, first_working_day, previous_month
from workflows.digest_content import DigestContent, DigestEntry, DigestSection, markdown, pdf

FONTS = Path("/usr/share/fonts/truetype/noto")


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2026, 12, date(2026, 12, 1)),  # a Tuesday
        (2027, 1, date(2027, 1, 4)),  # 1–2 January are New Year, then a weekend
        (2027, 5, date(2027, 5, 4)),  # Holy Saturday, Orthodox Easter, Easter Monday
        (2026, 3, date(2026, 3, 2)),  # 1 March is a Sunday
        (2027, 8, date(2027, 8, 2)),  # a Sunday again
    ],
)
def test_the_first_working_day_skips_weekends_and_georgian_holidays(
    year: int, month: int, expected: date
) -> None:
    assert first_working_day(year, month) == expected


def test_an_extra_day_off_from_the_settings_moves_it_on() -> None:
    assert first_working_day(2026, 12, [date(2026, 12, 1)]) == date(2026, 12, 2)


def test_compile_times_are_ten_in_tbilisi_from_the_next_one_on() -> None:
    after = datetime(2026, 12, 1, 11, 0, tzinfo=TBILISI)  # this month's run is past
    times = compile_times(after, 3)
    assert times == [
        datetime(2027, 1, 4, 10, 0, tzinfo=TBILISI),
        datetime(2027, 2, 1, 10, 0, tzinfo=TBILISI),
        datetime(2027, 3, 1, 10, 0, tzinfo=TBILISI),
    ]
    earlier = datetime(2026, 12, 1, 9, 0, tzinfo=TBILISI)
    assert compile_times(earlier, 1) == [datetime(2026, 12, 1, 10, 0, tzinfo=TBILISI)]
    assert previous_month(date(2027, 1, 4)) == "2026-12"


CONTENT = DigestContent(
    month="2026-11",
    sections=[
        DigestSection(
            key="acts",
            entries=[
                DigestEntry(
                    title_ka="მერის ბრძანება სკოლების გათბობის შესახებ",
                    title_en="Order on heating the schools",
                    url="https://akhmeta.gov.ge/acts/12",
                    day=date(2026, 11, 3),
                    note_ka="№ 45",
                    note_en="No. 45",
                )
            ],
        ),
        DigestSection(
            key="press_conferences",
            entries=[
                DigestEntry(
                    title_ka="მერის პრესკონფერენცია თუშეთის გზის შესახებ",
                    day=date(2026, 11, 10),
                )
            ],
        ),
    ],
)


def test_the_text_has_every_section_in_order_and_says_when_one_is_empty() -> None:
    text = markdown(CONTENT, "ka")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## სამართლებრივი აქტები",
        "## პრესრელიზები და სიახლეები",
        "## პრესკონფერენციები",
        "## ღონისძიებები და შეხვედრები",
        "## მიღებული დელეგაციები",
        "## ვიზიტები საზღვარგარეთ",
        "## მედიაში გაშუქება",
        "## მედიისთვის გაცემული პასუხები",
    ]
    assert (
        "- 3 ნოემბერი — [მერის ბრძანება სკოლების გათბობის შესახებ]"
        "(https://akhmeta.gov.ge/acts/12) (№ 45)"
    ) in text
    assert "ამ თვეში პრესრელიზი არ გამოქვეყნებულა." in text
    english = markdown(CONTENT, "en")
    assert (
        "- 3 November — [Order on heating the schools](https://akhmeta.gov.ge/acts/12)" in english
    )
    # Without an English title, the Georgian one stands in the English text.
    assert "- 10 November — მერის პრესკონფერენცია თუშეთის გზის შესახებ" in english


def test_the_pdf_opens_and_its_text_carries_the_georgian_titles() -> None:
    reader = PdfReader(io.BytesIO(pdf(CONTENT, FONTS)))
    text = " ".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    assert "პრესდაიჯესტი: 2026 წლის ნოემბერი" in flat
    assert "მერის ბრძანება სკოლების გათბობის შესახებ" in flat
    assert "ამ თვეში პრესრელიზი არ გამოქვეყნებულა." in flat
    assert "Press digest: November 2026" in flat  # the English part
    assert (
        reader.metadata is not None and reader.metadata.title == "პრესდაიჯესტი: 2026 წლის ნოემბერი"
    )
