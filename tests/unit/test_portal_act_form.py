"""A legal act's part of the portal's document form: rows of changes to earlier acts read
and checked as typed, and the publishing service's refusals put beside the row they name,
in Georgian."""

from __future__ import annotations

from starlette.datastructures import FormData

from services.portal import act_form
from services.portal.clients import ServiceRefused
from services.portal.forms import KeptForm


def typed(fields: dict[str, str]) -> KeptForm:
    """A sent form's act part, as the portal keeps it."""
    return KeptForm(act_form.values_from_form(FormData(list(fields.items()))))


def test_empty_rows_are_no_change_and_a_filled_row_names_its_act_and_articles() -> None:
    form = typed({"change_rows": "3", "change-0-number": "№ 12/2026", "change-0-kind": "amends",
                  "change-0-articles": "მუხლი 2, 3.1; 5 ა"})  # fmt: skip
    rows = act_form.check_rows(form, "mayor_order", "mayor")
    assert form.errors == {}
    (row,) = rows
    assert (row.number, row.document_type, row.issuer) == ("12/2026", "mayor_order", "mayor")
    assert row.articles == ("2", "3.1", "5 ა")


def test_a_row_without_its_kind_or_with_a_wrong_article_is_refused_in_georgian() -> None:
    form = typed({"change_rows": "3", "change-1-number": "12/2026", "change-1-articles": "2, მეორე",
                  "change-1-from": "2026-13-40"})  # fmt: skip
    assert act_form.check_rows(form, "mayor_order", "mayor") == []
    assert set(form.errors) == {"change-1-kind", "change-1-articles", "change-1-from"}
    assert (
        "„მეორე“" in form.errors["change-1-articles"] or "მეორე" in form.errors["change-1-articles"]
    )


def test_more_rows_keeps_what_was_typed_and_adds_empty_rows() -> None:
    sent = FormData([("change_rows", "3"), ("change-2-number", "7/2025")])
    values = act_form.values_from_form(sent, more=True)
    assert values["change_rows"] == "6"
    assert values["change-2-number"] == "7/2025"
    assert KeptForm(values).get("change-5-number") == ""


def test_a_condition_needs_its_georgian_text() -> None:
    form = KeptForm({"entry_kind": "condition", "condition_en": "When the road is built"})
    act_form.check_entry(form)
    assert "condition_ka" in form.errors


def test_the_services_refusal_of_a_row_goes_beside_that_row_in_georgian() -> None:
    form = typed({"change_rows": "3", "change-0-number": "1/2026", "change-0-kind": "amends",
                  "change-2-number": "4/2026", "change-2-kind": "repeals"})  # fmt: skip
    rows = act_form.check_rows(form, "mayor_order", "mayor")
    # The service counts the filled rows: its changes[1] is the form's third row.
    refused = ServiceRefused(
        409, "Not a published act",
        "changes[1]: document 4 has no published edition in force; only a published act is "
        "amended, repealed or suspended.", {},
    )  # fmt: skip
    assert act_form.take_act_refusal(form, refused, rows)
    assert list(form.errors) == ["change-2-number"]
    assert "გამოქვეყნებული" in form.errors["change-2-number"]


def test_an_article_the_service_refuses_goes_beside_the_articles_of_its_row() -> None:
    form = typed({"change_rows": "3", "change-0-number": "1/2026", "change-0-kind": "amends"})
    rows = act_form.check_rows(form, "mayor_order", "mayor")
    refused = ServiceRefused(422, "Unprocessable", "", {"errors": [
        {"field": "changes.0.articles.0", "message": "String should match pattern",
         "type": "string_pattern_mismatch"}]})  # fmt: skip
    assert act_form.take_act_refusal(form, refused, rows)
    assert list(form.errors) == ["change-0-articles"]
