"""The dashboard's rows and batch actions, without a server: stage names in Georgian, a
failure told in a line, the one query for a page's open tasks, and a batch refused whole
when any choice is wrong."""

from __future__ import annotations

import re

from services.portal import i18n
from services.portal.dashboard import CaseFilter, case_query
from services.portal.dashboard_actions import selection_errors
from services.portal.dashboard_rows import open_tasks_query, route_step_labels, short_error
from services.portal.labels import CASE_STAGES, TASK_STEPS, stage_label, task_step_label

LATIN = re.compile(r"[A-Za-z]")


def test_every_stage_a_case_can_show_has_a_georgian_name() -> None:
    token = i18n.current_language.set("ka")
    try:
        for kind, stages in CASE_STAGES.items():
            for key in stages:
                name = stage_label(kind, key)
                assert name and not LATIN.search(name), (kind, key, name)
        for key in TASK_STEPS:
            name = task_step_label(key)
            assert name and not LATIN.search(name), (key, name)
    finally:
        i18n.current_language.reset(token)


def test_a_word_is_named_by_the_kind_of_case_it_belongs_to() -> None:
    token = i18n.current_language.set("en")
    try:
        assert stage_label("document", "scheduled") == "Scheduled"
        assert stage_label("press_conference", "scheduled") == "Preparing"
        assert stage_label("media_response", "drafting") == "Being drafted"
        # A route's own step by its label; a visit's own task by the title in its subject.
        assert stage_label("document", "board", {"board": "Editorial board"}) == "Editorial board"
        assert task_step_label("welcome_pack", "ვიზიტი — სტუმრების პაკეტი") == (
            "Welcome pack for the guests"
        )
        # A task of the visit's own checklist, which has no name here.
        assert task_step_label("wine_tour", "ვიზიტი — ღვინის ტური ალავერდში") == (
            "ღვინის ტური ალავერდში"
        )
    finally:
        i18n.current_language.reset(token)


def test_a_route_step_is_labelled_in_the_readers_language_or_in_georgian() -> None:
    routes = [{"steps": [{"key": "board", "label_ka": "საბჭო", "label_en": "Board"},
                         {"key": "desk", "label_ka": "მაგიდა"}, {"key": "bare"}]}]  # fmt: skip
    assert route_step_labels(routes, "en") == {"board": "Board", "desk": "მაგიდა"}
    assert route_step_labels(routes, "ka") == {"board": "საბჭო", "desk": "მაგიდა"}
    assert route_step_labels({"detail": "refused"}, "ka") == {}


def test_a_services_problem_is_told_by_its_detail_in_a_line() -> None:
    quoted = (
        "POST /documents/1/editions/1/publication: publishing: answered 503: "
        '{"type":"about:blank","title":"Attachment unavailable","status":503,'
        '"detail":"The file of attachment 1 (პროგრამა.pdf) is missing."}'
    )
    assert short_error(quoted) == "The file of attachment 1 (პროგრამა.pdf) is missing."
    assert short_error("ConnectError: All connection\n attempts failed") == (
        "ConnectError: All connection attempts failed"
    )
    assert short_error("a {broken json") == "a {broken json"
    long = short_error("x" * 1000)
    assert len(long) == 300 and long.endswith("…")


def test_a_pages_open_tasks_are_one_query_of_running_tasks_of_its_cases() -> None:
    query = open_tasks_query(["document:1", "visit:o'brien"])
    assert query == (
        "WorkflowType = 'HumanTaskWorkflow' AND ExecutionStatus = 'Running' "
        "AND MeriaRef IN ('document:1', 'visit:o\\'brien')"
    )


def test_the_list_is_of_cases_and_the_failing_filter_only_of_running_ones() -> None:
    from datetime import UTC, datetime

    moment = datetime(2026, 12, 7, tzinfo=UTC)
    assert case_query(CaseFilter(), moment) == "WorkflowType != 'HumanTaskWorkflow'"
    assert "ExecutionStatus = 'Running'" in case_query(CaseFilter(failing=True), moment)
    assert CaseFilter(failing=True).link() == "/dashboard?failing=1"


def test_a_batch_with_any_wrong_choice_is_refused_whole() -> None:
    token = i18n.current_language.set("en")
    try:
        assert selection_errors("retry", ["document-1-edition-1"], "ფაილი აღდგა") == {}
        wrong = selection_errors("delete", [], "")
        assert set(wrong) == {"action", "case", "reason"}
        odd = selection_errors("cancel", ["document-1-edition-1", "x' OR 1=1"], "მიზეზი")
        assert "not a workflow id" in odd["case"]
        many = selection_errors("cancel", [f"visit-{n}" for n in range(201)], "მიზეზი")
        assert "at most 200" in many["case"]
    finally:
        i18n.current_language.reset(token)
