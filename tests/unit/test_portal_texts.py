"""The portal's words: every string has its Georgian, and the text helpers behave."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from services.portal import diffs, i18n
from services.portal.texts import to_html, to_markdown

ROOT = Path(__file__).resolve().parents[2]


def extracted() -> set[str | tuple[str, ...]]:
    method_map = [
        ("services/portal/**.py", "python"),
        ("services/portal/templates/**.html", "jinja2"),
    ]
    options = {"services/portal/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
    found: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options, keywords=keywords
    ):
        found.add(message)
    return found


def test_every_string_of_the_portal_has_its_georgian_translation() -> None:
    with (i18n.LOCALE_DIR / "ka" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="ka")
    missing = []
    for message in sorted(extracted(), key=str):
        entry = catalog.get(message)
        strings = entry.string if entry is not None else None
        if not strings or (isinstance(strings, tuple) and not all(strings)) or entry.fuzzy:
            missing.append(message)
    assert not missing, f"run `make messages` and translate: {missing}"


def test_translations_follow_the_language_of_the_page() -> None:
    token = i18n.current_language.set("ka")
    try:
        assert i18n._("Sign in") == "შესვლა"
        assert i18n.ngettext("%(num)d task", "%(num)d tasks", 3) % {"num": 3} == "3 დავალება"
    finally:
        i18n.current_language.reset(token)
    token = i18n.current_language.set("en")
    try:
        assert i18n._("Sign in") == "Sign in"
    finally:
        i18n.current_language.reset(token)


def test_markdown_becomes_safe_html_and_back() -> None:
    html = to_html("# ახმეტა\n\nმერია **აცხადებს** კონკურსს.\n\n<script>alert(1)</script>")
    assert "<h1>ახმეტა</h1>" in html and "<strong>აცხადებს</strong>" in html
    assert "<script>" not in html
    assert to_markdown(html).startswith("# ახმეტა")


def test_the_diff_marks_the_words_that_changed() -> None:
    old = {"title_ka": "ბრძანება გზების შესახებ", "body_ka": "გზები გაიწმინდოს ყოველდღე."}
    new = {"title_ka": "ბრძანება გზების შესახებ", "body_ka": "გზები გაიწმინდოს ორ დღეში ერთხელ."}
    compared = {field.field: field for field in diffs.compare(old, new)}
    assert not compared["title_ka"].changed
    body = compared["body_ka"]
    assert [s.text for s in body.old if s.changed] == ["ყოველდღე."]
    assert "".join(s.text for s in body.new if s.changed) == "ორ დღეში ერთხელ."


def test_a_text_s_headings_start_under_the_page_s_title_and_keep_their_order() -> None:
    from meria.markup import under_heading

    html = to_html("# ზოგადი დებულებები\n\nტექსტი.\n\n## აღსრულება\n\n###### ბოლო")
    shown = under_heading(html)
    assert "<h1>" not in shown
    assert "<h2>ზოგადი დებულებები</h2>" in shown and "<h3>აღსრულება</h3>" in shown
    assert "<h6>ბოლო</h6>" in shown  # nothing below <h6>
    # A text that starts at <h2> already, or has no headings, is left as it is.
    assert under_heading("<h2>ა</h2><h3>ბ</h3>") == "<h2>ა</h2><h3>ბ</h3>"
    assert under_heading("<p>ტექსტი</p>") == "<p>ტექსტი</p>"
