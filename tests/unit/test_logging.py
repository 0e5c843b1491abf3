"""Production logs: one JSON object a line on stdout, carrying the trace of its request."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider

from meria.config import Settings
from meria.logging import configure_logging, get_logger


@pytest.fixture
def restore_logging() -> Iterator[None]:
    yield
    configure_logging(Settings(), "tests", sys.__stderr__)


def streams(monkeypatch: pytest.MonkeyPatch) -> tuple[io.StringIO, io.StringIO]:
    # Patched in the test itself: pytest puts its own capture back between phases.
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    return out, err


def test_a_production_line_is_json_on_stdout_with_the_trace_id(
    monkeypatch: pytest.MonkeyPatch, restore_logging: None
) -> None:
    out, err = streams(monkeypatch)
    configure_logging(Settings(log_format="json"), "publishing")
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        get_logger("meria.test").info("document.published", title="ახმეტის ბრძანება")
        trace_id = format(span.get_span_context().trace_id, "032x")
    assert err.getvalue() == ""
    line = json.loads(out.getvalue().strip().splitlines()[-1])
    assert line["event"] == "document.published"
    assert line["title"] == "ახმეტის ბრძანება"
    assert line["service"] == "publishing"
    assert line["trace_id"] == trace_id


def test_a_development_line_is_for_people_on_stderr(
    monkeypatch: pytest.MonkeyPatch, restore_logging: None
) -> None:
    out, err = streams(monkeypatch)
    configure_logging(Settings(), "publishing")
    get_logger("meria.test").info("document.published")
    assert out.getvalue() == ""
    assert "document.published" in err.getvalue()
    assert not err.getvalue().lstrip().startswith("{")
