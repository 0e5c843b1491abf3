"""The website's read model: what has been published, as the bus told it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from meria.bus import define_bus_tables
from meria.db import UTCDateTime, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


bus_tables = define_bus_tables(Base.metadata)


class PublishedDocument(Base):
    """The current public edition of a document."""

    __tablename__ = "published_documents"

    document_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    edition: Mapped[int] = mapped_column(Integer)
    document_type: Mapped[str] = mapped_column(String(40), index=True)
    title_ka: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    summary_ka: Mapped[str | None] = mapped_column(Text)
    summary_en: Mapped[str | None] = mapped_column(Text)
    body_html_ka: Mapped[str | None] = mapped_column(Text)
    body_html_en: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    event_id: Mapped[str] = mapped_column(String(64))
