"""The outbox and inbox tables every service keeps beside its domain tables."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
)

from meria.db import UTCDateTime

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
_Sequence = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class BusTables:
    outbox: Table
    inbox: Table


def define_bus_tables(metadata: MetaData) -> BusTables:
    """Add `bus_outbox` and `bus_inbox` to a service's metadata (and so to its migrations)."""
    outbox = Table(
        "bus_outbox",
        metadata,
        # The sequence orders publication: the relay sends rows in the order they committed.
        Column("sequence", _Sequence, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("subject", String(255), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("published_at", UTCDateTime(), nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", String(1000), nullable=True),
    )
    Index("ix_bus_outbox_pending", outbox.c.published_at, outbox.c.sequence)
    inbox = Table(
        "bus_inbox",
        metadata,
        Column("consumer", String(200), nullable=False),
        Column("event_id", String(64), nullable=False),
        Column("subject", String(255), nullable=False),
        Column("handled_at", UTCDateTime(), nullable=False),
        PrimaryKeyConstraint("consumer", "event_id"),
    )
    return BusTables(outbox=outbox, inbox=inbox)
