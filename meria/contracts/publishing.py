"""Events of the publishing service: documents and their editions."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from meria.contracts.base import Event, LocalizedText


class DocumentPublished(Event):
    """An edition of a document became public; the website and media act on it."""

    subject = "publishing.document.published"
    summary = "An edition of a legal act, press release, news item or page was published."

    document_id: int = Field(gt=0)
    edition: int = Field(ge=1)
    document_type: str = Field(examples=["press_release", "mayor_order"])
    title: LocalizedText
    summary_text: LocalizedText | None = None
    body_html: LocalizedText | None = None
    published_at: datetime
