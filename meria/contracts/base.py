"""The CloudEvents 1.0 envelope and the base class of every Meria event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

EVENT_TYPE_PREFIX = "ge.meria."

EVENT_TYPES: dict[str, type[Event]] = {}


class Event(BaseModel):
    """A fact that happened in one service, named in the past tense.

    Subclasses set `subject` (`<service>.<aggregate>.<verb>`, the NATS subject) and
    `version`; the CloudEvents `type` is derived from the subject.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: ClassVar[str]
    version: ClassVar[int] = 1
    summary: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        subject = cls.__dict__.get("subject")
        if subject:
            if cls.type_name() in EVENT_TYPES:
                raise TypeError(f"two event models claim {subject}")
            EVENT_TYPES[cls.type_name()] = cls

    @classmethod
    def type_name(cls) -> str:
        return f"{EVENT_TYPE_PREFIX}{cls.subject}.v{cls.version}"

    @classmethod
    def service(cls) -> str:
        return cls.subject.split(".", 1)[0]


def event_for_type(type_name: str) -> type[Event] | None:
    return EVENT_TYPES.get(type_name)


class LocalizedText(BaseModel):
    """Text in Georgian (always) and English (when translated)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ka: str = Field(min_length=1)
    en: str | None = None


class CloudEvent(BaseModel):
    """The CloudEvents 1.0 JSON envelope every message on the bus carries."""

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    subject: str | None = None
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    traceparent: str | None = None
    data: dict[str, Any]

    @classmethod
    def wrap(
        cls, event: Event, *, about: str | None = None, traceparent: str | None = None
    ) -> CloudEvent:
        return cls(
            id=str(uuid.uuid4()),
            source=f"/meria/{event.service()}",
            type=event.type_name(),
            subject=about,
            time=datetime.now(UTC),
            traceparent=traceparent,
            data=event.model_dump(mode="json"),
        )


class PhotoRef(BaseModel):
    """A photo of the media library shown with a document or an event: the item's id (its
    public renditions are the media service's to serve, and only while its licence and
    the consent of the people in it allow) and the words that stand in for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: int = Field(gt=0)
    alt: LocalizedText = Field(description="What the photo shows, for those who cannot see it")
    caption: LocalizedText | None = None
    credit: str | None = Field(None, description="The photographer, as the library credits them")
