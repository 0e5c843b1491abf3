"""What the publishing API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DocumentType = Literal[
    "mayor_order",
    "mayor_ordinance",
    "official_document",
    "press_release",
    "news",
    "announcement",
    "press_digest",
    "web_page",
]


class DocumentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_type: DocumentType
    title_ka: str = Field(min_length=1, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    summary_ka: str | None = None
    summary_en: str | None = None
    body_ka: str | None = None
    body_en: str | None = None


class DocumentSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    publish_at: datetime | None = Field(
        None, description="When to publish; immediately after approval when absent"
    )


class DocumentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    document_type: str
    state: str
    edition: int
    title_ka: str
    title_en: str | None
    summary_ka: str | None
    summary_en: str | None
    body_ka: str | None
    body_en: str | None
    created_by: str
    created_at: datetime
    submitted_at: datetime | None
    publish_at: datetime | None
    published_at: datetime | None
    workflow_id: str | None = None
