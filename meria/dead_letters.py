"""Dead letters for people: what a consumer could not apply, to look at, re-drive or discard.

A consumer that gives up on a message (malformed, an unknown type, a handler that kept
failing) records it in its service's `bus_dead_letters` table with the reason, the
stream and sequence it came from and the message itself, before it tells JetStream to
stop delivering it; a replay (`meria website rebuild`) records what it skips the same
way. An administrator lists them (`GET /dead-letters`, and the portal's dashboard), and
re-drives one — applied again by the same handler through the same inbox, so never twice
— or discards it; either needs a reason, and who decided, when and why stays on the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from meria.auth import User, require_role
from meria.bus import Consumer
from meria.db import Database
from meria.problems import Problem
from meria.runtime import Runtime

Status = Literal["open", "redriven", "discarded"]
PAYLOAD_SHOWN = 8000


class DeadLetterPublic(BaseModel):
    id: int
    consumer: str
    stream: str
    stream_sequence: int
    subject: str
    kind: str = Field(
        description="malformed, unknown_type, unexpected_type, schema, handler_failed"
    )
    reason: str
    deliveries: int
    created_at: datetime
    status: Status
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    last_error: str | None
    payload: str = Field(description=f"The message as it came (at most {PAYLOAD_SHOWN} characters)")
    payload_size: int


class DeadLetterPage(BaseModel):
    items: list[DeadLetterPublic]
    total: int
    limit: int
    offset: int


class Decision(BaseModel):
    reason: str = Field(min_length=3, max_length=2000, description="Why, for the record")


def view(row: Any) -> DeadLetterPublic:
    text = bytes(row.payload).decode("utf-8", errors="replace")
    return DeadLetterPublic(
        id=row.id,
        consumer=row.consumer,
        stream=row.stream,
        stream_sequence=row.stream_sequence,
        subject=row.subject,
        kind=row.kind,
        reason=row.reason,
        deliveries=row.deliveries,
        created_at=row.created_at,
        status=row.status,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
        last_error=row.last_error,
        payload=text[:PAYLOAD_SHOWN],
        payload_size=len(row.payload),
    )


async def page(
    database: Database,
    table: Table,
    *,
    status: Status | None,
    consumer: str | None,
    limit: int,
    offset: int,
) -> DeadLetterPage:
    where = []
    if status is not None:
        where.append(table.c.status == status)
    if consumer is not None:
        where.append(table.c.consumer == consumer)
    async with database.session() as session:
        total = await session.scalar(select(func.count()).select_from(table).where(*where))
        rows = await session.execute(
            select(table).where(*where).order_by(table.c.id.desc()).limit(limit).offset(offset)
        )
        items = [view(row) for row in rows]
    return DeadLetterPage(items=items, total=total or 0, limit=limit, offset=offset)


async def _open(session: AsyncSession, table: Table, letter_id: int) -> Any:
    row = (
        await session.execute(select(table).where(table.c.id == letter_id).with_for_update())
    ).first()
    if row is None:
        raise Problem(404, "No such dead letter", f"There is no dead letter {letter_id}.")
    if row.status != "open":
        raise Problem(
            409,
            "Already decided",
            f"Dead letter {letter_id} was {row.status} by {row.decided_by}: {row.decision_reason}",
            decision=row.status,
        )
    return row


async def _decide(
    session: AsyncSession, table: Table, letter_id: int, status: Status, user: User, why: str
) -> None:
    await session.execute(
        update(table)
        .where(table.c.id == letter_id)
        .values(
            status=status,
            decided_by=user.id,
            decided_at=datetime.now(UTC),
            decision_reason=why,
            last_error=None,
        )
    )


async def _one(database: Database, table: Table, letter_id: int) -> DeadLetterPublic:
    async with database.session() as session:
        row = (await session.execute(select(table).where(table.c.id == letter_id))).first()
    assert row is not None
    return view(row)


async def discard(
    database: Database, table: Table, letter_id: int, user: User, why: str
) -> DeadLetterPublic:
    async with database.transaction() as session:
        await _open(session, table, letter_id)
        await _decide(session, table, letter_id, "discarded", user, why)
    return await _one(database, table, letter_id)


async def redrive(
    database: Database,
    table: Table,
    consumers: Mapping[str, Consumer],
    letter_id: int,
    user: User,
    why: str,
) -> DeadLetterPublic:
    """Apply the message again with its consumer's handler; the inbox keeps it once. If it
    fails again, the letter stays open with the new error, and the answer says it."""
    async with database.session() as session:
        row = await _open(session, table, letter_id)
    consumer = consumers.get(row.consumer)
    if consumer is None:
        raise Problem(
            409, "No such consumer", f"{row.consumer} no longer runs here; discard the letter."
        )
    try:
        await consumer.apply_stored(row.subject, bytes(row.payload), dict(row.headers or {}))
    except Exception as error:
        message = str(getattr(error, "reason", None) or repr(error))[:2000]
        async with database.transaction() as session:
            await session.execute(
                update(table).where(table.c.id == letter_id).values(last_error=message)
            )
        raise Problem(409, "Failed again", message, dead_letter=letter_id) from None
    async with database.transaction() as session:
        await _open(session, table, letter_id)
        await _decide(session, table, letter_id, "redriven", user, why)
    return await _one(database, table, letter_id)


def dead_letters_of(runtime: Runtime) -> Table:
    tables = runtime.parts.tables
    if tables is None:
        raise Problem(404, "No dead letters", f"{runtime.parts.name} consumes no events.")
    return tables.dead_letters


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


Admin = Annotated[User, require_role("admin")]
RuntimeDep = Annotated[Runtime, Depends(_runtime)]
LetterId = Annotated[int, Path(ge=1, le=2**63 - 1)]
router = APIRouter(prefix="/dead-letters", tags=["dead letters"])


@router.get("", summary="Messages this service's consumers could not apply, newest first")
async def list_dead_letters(
    _: Admin,
    runtime: RuntimeDep,
    status: Status | None = "open",
    consumer: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> DeadLetterPage:
    return await page(
        runtime.db(),
        dead_letters_of(runtime),
        status=status,
        consumer=consumer,
        limit=limit,
        offset=offset,
    )


@router.post("/{letter_id}/redrive", summary="Apply it again with its consumer's handler")
async def redrive_dead_letter(
    letter_id: LetterId,
    data: Decision,
    user: Admin,
    runtime: RuntimeDep,
) -> DeadLetterPublic:
    return await redrive(
        runtime.db(), dead_letters_of(runtime), runtime.consumers, letter_id, user, data.reason
    )


@router.post("/{letter_id}/discard", summary="Give it up, saying why")
async def discard_dead_letter(
    letter_id: LetterId, data: Decision, user: Admin, runtime: RuntimeDep
) -> DeadLetterPublic:
    return await discard(runtime.db(), dead_letters_of(runtime), letter_id, user, data.reason)
