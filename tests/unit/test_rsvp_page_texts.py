"""The invitee's page speaks Georgian first: every one of its strings has its Georgian."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from services.events import rsvp_pages

ROOT = Path(__file__).resolve().parents[2]


def test_every_string_of_the_invitees_page_has_its_georgian_translation() -> None:
    method_map = [
        ("services/events/rsvp_pages.py", "python"),
        ("services/events/templates/**.html", "jinja2"),
    ]
    options = {"services/events/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "N_": None, "gettext": None}
    found = {
        message
        for _f, _l, message, _c, _x in extract_from_dir(
            ROOT, method_map, options, keywords=keywords
        )
    }
    with (rsvp_pages.LOCALE_DIR / "ka" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="ka")
    missing = [m for m in sorted(found, key=str) if not (catalog.get(m) and catalog.get(m).string)]
    assert len(found) > 15
    assert not missing, f"run `make messages` and translate: {missing}"


def test_the_page_words_follow_its_language() -> None:
    assert rsvp_pages.translations("ka").gettext("I will attend") == "დავესწრები"
    assert rsvp_pages.translations("en").gettext("I will attend") == "I will attend"
