"""Acts that change acts in publishing, without I/O: what an act may say of its entry into
force and of the acts it changes, what a consolidated text applies, the routes of
consolidated texts, and two texts compared word by word."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from meria.cases.documents import RouteStep
from services.publishing import text_diff
from services.publishing.acts import change_key, entry_day, to_incorporate
from services.publishing.routes import default_route, route_refusal
from services.publishing.schemas import (
    ChangedBy,
    DocumentCreate,
    DocumentUpdate,
    EditionCreate,
    EntryIntoForceTerms,
)

ORDER = {
    "document_type": "mayor_order",
    "issuer_code": "mayor",
    "title_ka": "საბავშვო ბაღების საფასურის შესახებ მერის ბრძანებაში ცვლილების შეტანის თაობაზე",
}


def order(*changes: dict[str, Any], **fields: Any) -> DocumentCreate:
    return DocumentCreate.model_validate({**ORDER, **fields, "changes": list(changes)})


def test_an_act_enters_into_force_on_publication_unless_it_names_a_day_or_a_condition() -> None:
    assert EntryIntoForceTerms().kind == "publication"
    assert EntryIntoForceTerms(kind="date", on=date(2027, 1, 1)).on == date(2027, 1, 1)
    with pytest.raises(ValidationError, match="needs the day"):
        EntryIntoForceTerms(kind="date")
    with pytest.raises(ValidationError, match="needs it"):
        EntryIntoForceTerms(kind="condition")
    with pytest.raises(ValidationError, match="a day \\(on\\) is for kind date"):
        EntryIntoForceTerms(kind="publication", on=date(2027, 1, 1))
    with pytest.raises(ValidationError, match="a condition is for kind condition"):
        EntryIntoForceTerms(kind="date", on=date(2027, 1, 1), condition_ka="საკრებულოს დღიდან")
    with pytest.raises(ValidationError, match="between the years"):
        EntryIntoForceTerms(kind="date", on=date(2500, 1, 1))


def test_articles_are_named_as_acts_name_them() -> None:
    change = {"kind": "amends", "target_document_id": 7}
    for article in ("2", "3.1", "12.4.2", "5 ა", "5ა", " 2 "):
        assert order({**change, "articles": [article]}).changes[0].articles == [article.strip()]
    for wrong in ("", "მუხლი 2", "2a", "2.", "1.2.3.4.5", "12345"):
        with pytest.raises(ValidationError, match=r"changes\.0\.articles\.0"):
            order({**change, "articles": [wrong]})
    with pytest.raises(ValidationError, match="at most 100"):
        order({**change, "articles": [str(n) for n in range(1, 102)]})
    with pytest.raises(ValidationError, match="at most 50"):
        order(*[{**change, "target_document_id": n} for n in range(1, 52)])
    with pytest.raises(ValidationError, match=r"changes\.0\.kind"):
        order({**change, "kind": "replaces"})


def test_a_change_said_twice_is_refused_naming_the_row() -> None:
    amends_2 = {"kind": "amends", "target_document_id": 7, "articles": ["2"]}
    again = r"changes\[1\]: amends article 2 of document 7 again \(as changes\[0\] does\)"
    with pytest.raises(ValidationError, match=again):
        order(amends_2, {**amends_2, "articles": ["3", "2"]})
    with pytest.raises(ValidationError, match=r"changes\[1\]: amends article 5ა .* again"):
        order({**amends_2, "articles": ["5 ა"]}, {**amends_2, "articles": ["5ა"]})
    whole = {"kind": "repeals", "target_document_id": 7}
    with pytest.raises(ValidationError, match=r"changes\[1\]: repeals article 3 .* whole act"):
        order(whole, {**whole, "articles": ["3"]})
    with pytest.raises(ValidationError, match=r"changes\[1\]: repeals the whole of document 7"):
        order({**whole, "articles": ["3"]}, whole)
    with pytest.raises(ValidationError, match=r"changes\[1\]"):
        DocumentUpdate.model_validate({"changes": [amends_2, amends_2]})
    # Amending and repealing one article, or one article of two acts, is no repetition.
    assert len(order(amends_2, {**amends_2, "kind": "repeals"}).changes) == 2
    assert len(order(amends_2, {**amends_2, "target_document_id": 8}).changes) == 2


def test_only_a_legal_act_enters_into_force_and_changes_acts() -> None:
    release = {"document_type": "press_release", "title_ka": "ახმეტის მერიის განცხადება"}
    with pytest.raises(ValidationError, match="a press_release takes no entry_into_force"):
        DocumentCreate.model_validate({**release, "entry_into_force": {"kind": "publication"}})
    with pytest.raises(ValidationError, match="a press_release takes no"):
        DocumentCreate.model_validate(
            {**release, "changes": [{"kind": "amends", "target_document_id": 7}]}
        )
    with pytest.raises(ValidationError, match="cannot be null"):
        DocumentUpdate.model_validate({"changes": None})
    # A consolidated text is made through its own endpoint, never as a new edition's kind.
    with pytest.raises(ValidationError, match="change_kind"):
        EditionCreate(change_note="კონსოლიდაცია", change_kind="consolidation")  # type: ignore[arg-type]


def test_an_act_is_in_force_from_its_publication_day_in_tbilisi_or_the_day_it_names() -> None:
    late_evening_utc = datetime(2027, 3, 1, 21, 30, tzinfo=UTC)  # 01:30 on 2 March in Tbilisi
    assert entry_day("publication", None, late_evening_utc, None) == date(2027, 3, 2)
    assert entry_day("publication", None, None, None) is None
    assert entry_day("date", date(2027, 4, 1), late_evening_utc, None) == date(2027, 4, 1)
    assert entry_day("condition", None, late_evening_utc, None) is None
    assert entry_day("condition", None, late_evening_utc, date(2027, 3, 9)) == date(2027, 3, 9)


def changed(kind: str, articles: list[str], day: date | None, act: int = 12) -> ChangedBy:
    return ChangedBy(
        document_id=act,
        register_number=f"{act}/2027",
        document_type="mayor_order",
        title_ka="ცვლილების შეტანის თაობაზე",
        kind=kind,  # type: ignore[arg-type]
        articles=articles,
        effective_on=None,
        takes_effect_on=day,
    )


def test_a_consolidated_text_applies_what_took_effect_by_its_day_once() -> None:
    amendment = changed("amends", ["2"], date(2027, 2, 1))
    repeal = changed("repeals", ["3"], date(2027, 4, 1))
    waiting = changed("suspends", [], None, act=13)  # its act waits on a condition
    changes = [amendment, repeal, waiting]
    assert to_incorporate(changes, set(), date(2027, 1, 31)) == []
    # As of February, the amendment; as of April, the repeal the February text left out.
    february = to_incorporate(changes, set(), date(2027, 2, 1))
    assert february == [amendment]
    applied = {change_key(change) for change in february}
    assert to_incorporate(changes, applied, date(2027, 3, 1)) == []
    assert to_incorporate(changes, applied, date(2027, 4, 1)) == [repeal]
    # As of April straight away, both.
    assert to_incorporate(changes, set(), date(2027, 12, 31)) == [amendment, repeal]


def test_a_consolidated_text_is_approved_by_legal_review_and_signed_by_no_one() -> None:
    [step] = default_route("consolidation")
    assert (step.key, step.role) == ("legal_review", "legal_reviewer")
    bounds = {"min_hours": 1, "max_hours": 24 * 90}
    head = RouteStep(key="department_review", role="head_of_department", deadline_hours=24)
    assert route_refusal("consolidation", [step, head], **bounds) is None
    refusal = route_refusal("consolidation", [head], **bounds)
    assert refusal is not None and "keeps the step 'legal_review'" in refusal
    signature = RouteStep(key="signature", role="mayor", deadline_hours=24)
    assert "not signed" in (route_refusal("consolidation", [step, signature], **bounds) or "")
    # The act itself keeps its three steps.
    assert [s.key for s in default_route("mayor_order")][-1] == "signature"


def test_two_texts_are_compared_word_by_word_in_their_paragraphs() -> None:
    old = (
        "<p>მუხლი 1. ბრძანება ადგენს საფასურს.</p><p>მუხლი 2. საფასური შეადგენს თვეში "
        "<strong>30</strong> ლარს.</p><p>მუხლი 3. მრავალშვილიანი ოჯახები ნახევარს იხდიან.</p>"
    )
    new = (
        "<p>მუხლი 1. ბრძანება ადგენს საფასურს.</p><p>მუხლი 2. საფასური შეადგენს თვეში 20 "
        "ლარს.</p><p>მუხლი 3. ძალადაკარგულია.</p>"
    )
    segments, truncated = text_diff.diff(old, new)
    assert not truncated
    assert [(s.op, s.text) for s in segments] == [
        ("equal", "მუხლი 1. ბრძანება ადგენს საფასურს.\nმუხლი 2. საფასური შეადგენს თვეში "),
        ("delete", "30"),
        ("insert", "20"),
        ("equal", " ლარს.\nმუხლი 3. "),
        ("delete", "მრავალშვილიანი ოჯახები ნახევარს იხდიან."),
        ("insert", "ძალადაკარგულია."),
        ("equal", "\n"),
    ]
    # Each side read back from the comparison is its text, paragraph by paragraph.
    assert "".join(s.text for s in segments if s.op != "insert").split("\n")[:-1] == (
        text_diff.paragraphs(old)
    )
    assert "".join(s.text for s in segments if s.op != "delete").split("\n")[:-1] == (
        text_diff.paragraphs(new)
    )
    # The first edition is all new; markup and entities are not words.
    assert text_diff.diff("", "<p>ა &amp; ბ</p><ul><li>გ</li></ul>") == (
        [text_diff.Segment("insert", "ა & ბ\nგ\n")],
        False,
    )


def test_a_text_too_long_is_compared_by_its_start() -> None:
    long = "<p>" + "ახმეტა " * (text_diff.MAX_CHARS // 7 + 100) + "</p>"
    segments, truncated = text_diff.diff(long, long + "<p>ბოლო</p>")
    assert truncated and [s.op for s in segments] == ["equal"]
    assert len(segments[0].text) <= text_diff.MAX_CHARS + 1
