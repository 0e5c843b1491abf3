"""The outbox, inbox and dead-letter tables every service keeps beside its domain tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

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
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from meria.db import UTCDateTime

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
_Sequence = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class BusTables:
    outbox: Table
    inbox: Table
    dead_letters: Table


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
    # What a consumer could not apply, kept for people to look at, re-drive or discard
    # (meria/dead_letters.py); the bus's `deadletter.<consumer>` subject says it too.
    dead_letters = Table(
        "bus_dead_letters",
        metadata,
        Column("id", _Sequence, primary_key=True, autoincrement=True),
        Column("consumer", String(200), nullable=False),
        Column("stream", String(100), nullable=False),
        Column("stream_sequence", BigInteger, nullable=False),
        Column("subject", String(255), nullable=False),
        Column("kind", String(40), nullable=False),
        Column("reason", String(2000), nullable=False),
        Column("deliveries", Integer, nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("status", String(20), nullable=False),
        Column("decided_by", String(200), nullable=True),
        Column("decided_at", UTCDateTime(), nullable=True),
        Column("decision_reason", String(2000), nullable=True),
        Column("last_error", String(2000), nullable=True),
        UniqueConstraint(
            "consumer", "stream", "stream_sequence", name="uq_bus_dead_letters_origin"
        ),
    )
    Index("ix_bus_dead_letters_status", dead_letters.c.status, dead_letters.c.id)
    return BusTables(outbox=outbox, inbox=inbox, dead_letters=dead_letters)


async def record_dead_letter(
    session: AsyncSession,
    table: Table,
    *,
    consumer: str,
    stream: str,
    stream_sequence: int,
    subject: str,
    kind: str,
    reason: str,
    deliveries: int,
    payload: bytes,
    headers: dict[str, str] | None,
) -> None:
    """Keep a dead letter once: the same message of the same consumer is one row, however
    often a crash makes it dead-lettered again."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    maker = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = maker(table).values(
        consumer=consumer,
        stream=stream,
        stream_sequence=stream_sequence,
        subject=subject,
        kind=kind,
        reason=reason[:2000],
        deliveries=deliveries,
        payload=payload,
        headers=headers or {},
        created_at=datetime.now(UTC),
        status="open",
    )
    await session.execute(
        statement.on_conflict_do_nothing(index_elements=["consumer", "stream", "stream_sequence"])
    )
