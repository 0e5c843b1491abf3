"""The portal's tables: staff accounts and every change of them, the municipality's
profile's edits, sign-in sessions,
notifications, what each person last saw of a document (for the diff on a task page),
the sign-in throttle's counters, and the bus outbox and inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from meria.bus import define_bus_tables
from meria.db import UTCDateTime, new_metadata
from meria.throttle import define_throttle_table


class Base(DeclarativeBase):
    metadata = new_metadata()


bus_tables = define_bus_tables(Base.metadata)
throttle_counters = define_throttle_table(Base.metadata)


class Account(Base):
    """A member of staff who signs in to the portal, and the roles they hold."""

    __tablename__ = "accounts"

    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    # None for accounts that sign in only through the OIDC provider.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2), default="ka")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    email_notifications: Mapped[bool] = mapped_column(Boolean, default=True)
    last_sign_in: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the last password sign-in came from (an address, or an IPv6 /64): failures from
    # elsewhere do not keep the person out from there.
    last_sign_in_address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccountChange(Base):
    """One change of a staff account: who made it, when, what changed and why. The
    password itself is never here, only that it was set."""

    __tablename__ = "account_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The administrator's user id; "oidc" when the identity provider changed it.
    actor: Mapped[str] = mapped_column(String(200))
    # created | changed | disabled | enabled (several changes of one request are one row)
    action: Mapped[str] = mapped_column(String(20))
    # {"field": {"before": …, "after": …}}; "password": {"set": true}.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)


class MunicipalityChange(Base):
    """One edit of the municipality's profile on the portal: who, when, what changed
    (field by field, before and after) and why."""

    __tablename__ = "municipality_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(64))
    # {"names.en.city_hall": {"before": …, "after": …}}
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)


class SignIn(Base):
    """One signed-in browser. The cookie carries only its id; signing out ends it here."""

    __tablename__ = "sign_ins"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("accounts.username"), index=True)
    method: Mapped[str] = mapped_column(String(20))  # password | oidc
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Notification(Base):
    """Something that happened on a case that concerns one person: a reminder, an
    escalation, a decision. Made from a bus event, at most once per event and person."""

    __tablename__ = "notifications"
    # A person's list, newest first, and the unread count on every page, read through
    # indexes that start with the person: years of notifications are not scanned.
    __table_args__ = (
        UniqueConstraint("event_id", "username"),
        Index("ix_notifications_person_newest", "username", "created_at", "id"),
        Index("ix_notifications_person_unread", "username", "read_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    # Words in both languages, so the list follows the reader's language switch.
    text_ka: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Email: "pending" until the SMTP server accepts it, "sent", or "none" (not wanted).
    email_status: Mapped[str] = mapped_column(String(20), default="none")
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_error: Mapped[str | None] = mapped_column(Text)


class SeenVersion(Base):
    """What a person last saw of a document on a task page: the diff starts from it."""

    __tablename__ = "seen_versions"

    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    document_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition_number: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
