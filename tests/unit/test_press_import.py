"""A newsroom's CSV file read line by line for the journalists' import."""

from __future__ import annotations

import pytest

from services.portal import press_import
from services.portal.press_import import FileRefused

OUTLETS = {"interpressnews": 1, "ინტერპრესნიუსი": 1}
HEADER = "full_name,outlet,email,phone,beats,consents,consent_date\n"


def test_a_correct_line_becomes_a_journalist_with_the_outlet_and_consents() -> None:
    text = (
        HEADER
        + "ნათია ჩიკვაიძე,ინტერპრესნიუსი,n@ipn.ge,,tourism,"
        + "press_distribution;enquiries,2026-09-15\n"
    )
    [line] = press_import.read(text, OUTLETS)
    assert line.ok and line.number == 2
    assert line.entry is not None
    assert line.entry["outlet_id"] == 1 and line.entry["beats"] == ["tourism"]
    assert [c["purpose"] for c in line.entry["consents"]] == ["press_distribution", "enquiries"]


def test_every_wrong_line_is_named_with_each_of_its_mistakes() -> None:
    text = HEADER + (
        "ლევან ხოსიტაშვილი,Interpressnews,levan@ipn.ge,,,press_distribution,2026-09-15\n"
        "ე,უცნობი გაზეთი,not-an-address,,Tourism,,\n"
        "\n"
        "ზურაბ ქავთარაძე,,,+995 599 11,,,\n"
    )
    first, second, third = press_import.read(text, OUTLETS)
    assert first.ok
    assert (second.number, third.number) == (3, 5)
    assert len(second.problems) == 5  # name, outlet, address, beat, contacts without consent
    assert any("უცნობი გაზეთი" in problem for problem in second.problems)
    assert (
        third.problems == ["Contact details are kept only with a consent: add its purpose, date."]
        or len(third.problems) == 1
    )


def test_a_file_without_the_name_column_or_in_another_encoding_is_refused_whole() -> None:
    with pytest.raises(FileRefused):
        press_import.read("name,email\nნათია,n@ipn.ge\n", OUTLETS)
    with pytest.raises(FileRefused):
        press_import.read("full_name,twitter\nნათია,@natia\n", OUTLETS)
    with pytest.raises(FileRefused):
        press_import.decode("ნათია".encode("utf-16"))


def test_the_services_refusal_lands_beside_the_line_it_names() -> None:
    text = HEADER + "ნათია ჩიკვაიძე,,,,,,\nლევან ხოსიტაშვილი,,,,,,\n"
    lines = press_import.read(text, OUTLETS)
    placed = press_import.lines_of_refusal(
        lines, [{"field": "journalists.1.full_name", "message": "too long"}]
    )
    assert placed and lines[0].ok and lines[1].problems == ["full_name: too long"]
