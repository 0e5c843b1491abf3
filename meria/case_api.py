"""The endpoints every service with cases serves, written once: the ones its case's
workflow calls (the case, its transitions, its tasks' outcomes and notices) and the ones
staff call to claim a task or give it back.

A service plugs in with a `CaseSide` (what each endpoint does with its own tables and
outbox) and a dependency that reads its case's reference from the path (`event_id`,
`document_id` and `number`...), so its paths, parameters, bodies and answers stay its
own while the routes are declared here. The module names no service.
"""

# No `from __future__ import annotations` here: the routes' annotations are the
# service's own types, read when each route is declared.

from collections.abc import Callable
from typing import Annotated, Any, Protocol, TypeVar, cast

from fastapi import APIRouter, Depends, status
from pydantic import AwareDatetime, BaseModel, Field
from temporalio.client import Client

from meria.auth import System, User
from meria.cases import TaskNotice
from meria.cases.tasks import (
    CLAIM,
    FOLLOW_UP,
    REASSIGN,
    UNCLAIM,
    TaskClaim,
    TaskFollowUp,
    TaskReassignment,
    TaskState,
)
from meria.idempotency import IdempotencyKey
from meria.problems import Problem
from meria.runtime import Runtime
from meria.temporal import send_update
from meria.web import RuntimeDep

Ref = TypeVar("Ref", contravariant=True)


class CaseSide(Protocol[Ref]):
    """What a service does when its case's workflow calls it; `ref` is the case's
    reference as the service's path dependency reads it."""

    async def case(self, runtime: Runtime, ref: Ref) -> Any: ...

    async def transition(
        self, runtime: Runtime, ref: Ref, data: Any, idempotency_key: str | None
    ) -> Any: ...

    async def notice(
        self, runtime: Runtime, ref: Ref, notice: TaskNotice, idempotency_key: str | None
    ) -> None: ...


class WithOutcomes(CaseSide[Ref], Protocol):
    """A case whose tasks report their outcome to the service, by the task's key."""

    async def outcome(
        self, runtime: Runtime, ref: Ref, key: str, data: Any, idempotency_key: str | None
    ) -> None: ...


def case_router(
    *,
    prefix: str,
    ref: Callable[..., Any],
    side: CaseSide[Any],
    case: type,
    transition: type,
    answer: type,
    summaries: dict[str, str],
    outcome: type | None = None,
    names: str = "",
) -> APIRouter:
    """The workflow's own endpoints under `prefix`: `GET /case`, `POST /transitions`,
    `POST /task-notices` and, when `outcome` is given, `POST /tasks/{key}/outcome`.
    `summaries` says each in the service's words; `names` prefixes the routes' names
    where a service has two kinds of case."""
    router = APIRouter(prefix=prefix, tags=["workflow (internal)"])
    Case = Annotated[Any, Depends(ref)]

    async def read_case(reference: Case, _: System, runtime: RuntimeDep) -> Any:
        return await side.case(runtime, reference)

    async def record_transition(
        reference: Case,
        data: transition,  # type: ignore[valid-type]
        _: System,
        runtime: RuntimeDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Any:
        return await side.transition(runtime, reference, data, idempotency_key)

    async def task_notice(
        reference: Case,
        data: TaskNotice,
        _: System,
        runtime: RuntimeDep,
        idempotency_key: IdempotencyKey = None,
    ) -> None:
        await side.notice(runtime, reference, data, idempotency_key)

    router.add_api_route(
        "/case",
        read_case,
        methods=["GET"],
        response_model=case,
        summary=summaries["case"],
        name=f"{names}case",
    )
    router.add_api_route(
        "/transitions",
        record_transition,
        methods=["POST"],
        response_model=answer,
        summary=summaries["transitions"],
        name=f"record_{names}transition",
    )
    if outcome is not None:
        outcomes = cast(WithOutcomes[Any], side)

        async def record_task_outcome(
            reference: Case,
            key: str,
            data: outcome,  # type: ignore[valid-type]
            _: System,
            runtime: RuntimeDep,
            idempotency_key: IdempotencyKey = None,
        ) -> None:
            await outcomes.outcome(runtime, reference, key, data, idempotency_key)

        router.add_api_route(
            "/tasks/{key}/outcome",
            record_task_outcome,
            methods=["POST"],
            status_code=status.HTTP_204_NO_CONTENT,
            summary=summaries["outcome"],
            name="record_task_outcome",
        )
    router.add_api_route(
        "/task-notices",
        task_notice,
        methods=["POST"],
        status_code=status.HTTP_204_NO_CONTENT,
        summary=summaries["notices"],
        name=f"{names}task_notice",
    )
    return router


async def claim(
    temporal: Client,
    task_id: str,
    user: User,
    *,
    release: bool = False,
    not_found: Problem | None = None,
) -> TaskState:
    """Take a task (or give it back): it is then that person's in the inbox; its
    validator says who may."""
    state: TaskState = await send_update(
        temporal,
        task_id,
        UNCLAIM if release else CLAIM,
        TaskClaim(user=user.id, roles=sorted(user.roles)),
        not_found=not_found,
    )
    return state


class Reassignment(BaseModel):
    """Whom the task goes to, and the note they read on it."""

    to: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    note: str = Field(min_length=1, max_length=2000)


class FollowUp(BaseModel):
    """When to look at the task again (before its deadline); null takes it away."""

    at: AwareDatetime | None


async def reassign(
    temporal: Client, task_id: str, user: User, data: Reassignment, *,
    not_found: Problem | None = None,
) -> TaskState:  # fmt: skip
    """Hand a task to a named person with a note; its validator says who may."""
    state: TaskState = await send_update(
        temporal, task_id, REASSIGN,
        TaskReassignment(user=user.id, roles=sorted(user.roles), to=data.to, note=data.note),
        not_found=not_found,
    )  # fmt: skip
    return state


async def follow_up(
    temporal: Client, task_id: str, user: User, data: FollowUp, *,
    not_found: Problem | None = None,
) -> TaskState:  # fmt: skip
    state: TaskState = await send_update(
        temporal, task_id, FOLLOW_UP,
        TaskFollowUp(user=user.id, roles=sorted(user.roles), at=data.at),
        not_found=not_found,
    )  # fmt: skip
    return state


def claim_router(
    *,
    tag: str,
    gate: Any,
    temporal: Callable[[Runtime], Client],
    summaries: tuple[str, str],
    owns: tuple[str, ...] = (),
    not_ours: str = "",
) -> APIRouter:
    """`POST /tasks/{task_id}/claim` and `/unclaim`; `gate` is who may (the service's
    role dependency). With `owns`, a task whose workflow id starts otherwise is not the
    service's: 404 with `not_ours`."""
    router = APIRouter(prefix="/tasks", tags=[tag])
    Gate = gate  # the service's `Annotated[User, require_role(...)]`

    def owned(task_id: str) -> str:
        if owns and not task_id.startswith(owns):
            raise Problem(404, "No such task", f"{task_id!r} {not_ours}.")
        return task_id

    async def claim_task(task_id: str, user: Gate, runtime: RuntimeDep) -> TaskState:  # type: ignore[valid-type]
        return await claim(temporal(runtime), owned(task_id), user)

    async def unclaim_task(task_id: str, user: Gate, runtime: RuntimeDep) -> TaskState:  # type: ignore[valid-type]
        return await claim(temporal(runtime), owned(task_id), user, release=True)

    async def reassign_task(
        task_id: str,
        data: Reassignment,
        user: Gate,  # type: ignore[valid-type]
        runtime: RuntimeDep,
    ) -> TaskState:
        return await reassign(temporal(runtime), owned(task_id), user, data)

    async def follow_up_task(
        task_id: str,
        data: FollowUp,
        user: Gate,  # type: ignore[valid-type]
        runtime: RuntimeDep,
    ) -> TaskState:
        return await follow_up(temporal(runtime), owned(task_id), user, data)

    router.add_api_route("/{task_id}/claim", claim_task, methods=["POST"], summary=summaries[0])
    router.add_api_route("/{task_id}/unclaim", unclaim_task, methods=["POST"], summary=summaries[1])
    router.add_api_route(
        "/{task_id}/reassign", reassign_task, methods=["POST"],
        summary="Hand a task to a named person, with a note (its holder or the head of "
        "department)",
    )  # fmt: skip
    router.add_api_route(
        "/{task_id}/follow-up", follow_up_task, methods=["PUT"],
        summary="Set or clear when the task's holder looks at it again",
    )  # fmt: skip
    return router
