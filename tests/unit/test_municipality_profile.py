"""The municipality's profile: what a profile must hold, and what it may not."""

from __future__ import annotations

import tomllib

import pytest
import tomli_w
from markupsafe import Markup

from meria import municipality
from meria.bus.users import MUNICIPALITY_STREAM
from meria.municipality import MunicipalityError, bundled, parse, sanitised_svg, to_toml

SHIELD = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 12">'
    '<path d="M1 1 H9 V6 C9 9 5 11 5 11 C5 11 1 9 1 6 Z" fill="#1d4e89"/></svg>'
)


def telavi_with(**changes: object) -> str:
    """Telavi's profile as TOML, with some values changed."""
    data = tomllib.loads((municipality.PROFILES / "telavi.toml").read_text(encoding="utf-8"))
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = data
        for parent in parents:
            target = target[parent]
        target[last] = value
    return tomli_w.dumps(data, multiline_strings=True)


def test_both_shipped_profiles_read_with_their_georgian_forms() -> None:
    akhmeta, telavi = bundled("akhmeta"), bundled("telavi")
    assert akhmeta.forms("ka").locative == "ახმეტაში"
    assert telavi.city_hall("ka") == "თელავის მუნიციპალიტეტის მერია"
    assert telavi.city_hall("en") == "Telavi Municipality City Hall"
    assert telavi.akoma_ntoso.locality == "telavi"
    assert [issuer.code for issuer in telavi.issuers] == ["mayor", "first-deputy-mayor"]
    assert isinstance(telavi.coat_of_arms_svg, Markup)
    assert telavi.coat_of_arms_svg.startswith("<svg")


def test_a_colour_not_written_as_rrggbb_is_refused_naming_the_field() -> None:
    with pytest.raises(MunicipalityError) as refused:
        parse(telavi_with(colours__primary="blue"), "telavi.toml")
    assert str(refused.value) == (
        "telavi.toml: colours.primary: 'blue' is not a colour written as #rrggbb"
    )


def test_a_coat_of_arms_with_a_script_is_refused() -> None:
    scripted = SHIELD.replace("</svg>", "<script>alert(1)</script></svg>")
    with pytest.raises(MunicipalityError) as refused:
        parse(telavi_with(coat_of_arms=scripted), "telavi.toml")
    assert str(refused.value) == "telavi.toml: coat_of_arms: the coat of arms may not hold <script>"


@pytest.mark.parametrize(
    ("svg", "reason"),
    [
        (SHIELD.replace("<path", '<path onclick="steal()"'), "event handler (onclick)"),
        (
            SHIELD.replace("<path", '<use href="https://example.org/a.svg#x"/><path'),
            "only refer to its own parts",
        ),
        (SHIELD.replace('fill="#1d4e89"', 'fill="url(https://example.org/x)"'), "url(#…)"),
        (
            '<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
            "may not declare entities or a DTD",
        ),
        ('<svg><rect width="1" height="1"/></svg>', "in the SVG namespace"),
        ('<html xmlns="http://www.w3.org/1999/xhtml"/>', "must be an <svg> element"),
        (
            SHIELD.replace("</svg>", '<foreignObject><p xmlns="x">hi</p></foreignObject></svg>'),
            "may not hold <foreignObject>",
        ),
        ("<svg", "not well-formed XML"),
    ],
)
def test_a_coat_of_arms_that_could_run_or_fetch_anything_is_refused(svg: str, reason: str) -> None:
    with pytest.raises(ValueError) as refused:
        sanitised_svg(svg)
    assert reason in str(refused.value)


def test_a_clean_coat_of_arms_keeps_its_drawing_and_loses_its_comments() -> None:
    clean = sanitised_svg(SHIELD.replace("<path", "<!-- a note --><path"))
    assert "a note" not in clean
    assert 'd="M1 1 H9 V6 C9 9 5 11 5 11 C5 11 1 9 1 6 Z"' in clean
    assert clean.startswith('<svg xmlns="http://www.w3.org/2000/svg"')


def test_a_profile_written_as_toml_reads_back_the_same() -> None:
    telavi = bundled("telavi")
    assert parse(to_toml(telavi)) == telavi


def test_an_edit_is_recorded_field_by_field() -> None:
    telavi = bundled("telavi")
    edited = parse(telavi_with(phone="+995 350 27 00 00"))
    assert municipality.differences(telavi, edited) == {
        "phone": {"before": "+995 350 27 15 00", "after": "+995 350 27 00 00"}
    }


def test_the_bus_permissions_name_the_bucket_the_profile_is_kept_in() -> None:
    assert f"KV_{municipality.BUCKET}" == MUNICIPALITY_STREAM


def test_the_uids_of_calendars_stay_those_of_the_municipality() -> None:
    assert bundled("akhmeta").uid("event-7") == "event-7@akhmeta.meria"
    assert bundled("telavi").uid("event-7") == "event-7@telavi.meria"
