"""Event contracts and the CloudEvents envelope; the committed AsyncAPI document is current."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from meria.asyncapi import render
from meria.contracts import CloudEvent, DocumentPublished, LocalizedText, event_for_type

ROOT = Path(__file__).resolve().parents[2]


def published() -> DocumentPublished:
    return DocumentPublished(
        document_id=7,
        edition=2,
        document_type="mayor_order",
        title=LocalizedText(ka="მერის ბრძანება ქალაქის ბიუჯეტის შესახებ"),
        published_at=datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
    )


def test_an_event_travels_in_a_cloudevents_envelope() -> None:
    envelope = CloudEvent.wrap(published(), about="document:7")
    assert envelope.specversion == "1.0"
    assert envelope.source == "/meria/publishing"
    assert envelope.type == "ge.meria.publishing.document.published.v1"
    assert envelope.subject == "document:7"
    again = CloudEvent.model_validate_json(envelope.model_dump_json())
    model = event_for_type(again.type)
    assert model is DocumentPublished
    assert model.model_validate(again.data) == published()
    assert again.data["title"]["ka"] == "მერის ბრძანება ქალაქის ბიუჯეტის შესახებ"


def test_events_are_immutable_and_strict() -> None:
    event = published()
    with pytest.raises(ValidationError):
        event.edition = 3  # type: ignore[misc]
    with pytest.raises(ValidationError):
        DocumentPublished.model_validate({**event.model_dump(), "surprise": True})


def test_committed_asyncapi_document_is_current() -> None:
    committed = (ROOT / "docs" / "asyncapi.json").read_text(encoding="utf-8")
    assert committed == render(), "docs/asyncapi.json is out of date: run `make asyncapi`"
