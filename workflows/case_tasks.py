"""What every case's workflow does with its human tasks, written once: each case workflow
composes a `CaseTasks` (as samples-python's `UpdatableTimer` is composed) and keeps only
its stages and rules.

A case's stage and the tasks open on it are what the inbox and the dashboard find it by
(its search attributes); `CaseTasks` keeps them, starts each task as a
`HumanTaskWorkflow` child with the case's reference, service and notice path, cancels
the tasks a change makes moot, hears a task's escalation and the results of tasks that
report to their case. Every command it gives is the one the case workflows gave before
it, in the same order, so recorded histories replay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import ChildWorkflowHandle

with workflow.unsafe.imports_passed_through():
    from meria.cases.tasks import TaskChange, TaskEscalation, TaskInput, TaskResult
    from workflows.human_task import HumanTaskWorkflow, index_case

RECORD_TIMEOUT = timedelta(seconds=30)
RECORD_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))


async def record(method: Any, argument: Any, *, timeout: timedelta = RECORD_TIMEOUT) -> Any:
    """Run an activity that reads or records the case in its service: retried until the
    service answers, however long it is away."""
    return await workflow.execute_activity_method(
        method, argument, start_to_close_timeout=timeout, retry_policy=RECORD_RETRY
    )


class Open(Protocol):
    """A task as its case's status shows it."""

    task_id: str
    awaiting: list[str]
    due_at: datetime


OpenT = TypeVar("OpenT", bound=Open)


class CaseTasks(Generic[OpenT]):
    """A case's stage and its open tasks, by key; the search attributes follow them."""

    def __init__(
        self,
        *,
        stage: str,
        case_ref: str,
        service: str,
        notice_path: str,
        one_at_a_time: bool = False,
        index_changes_only: bool = False,
    ) -> None:
        self.stage = stage
        self.open: dict[str, OpenT] = {}
        self.finished: list[tuple[str, TaskResult]] = []
        self.case_ref = case_ref
        self._service = service
        self._notice_path = notice_path
        # A case with one task at a time shows its roles in the task's own order.
        self._one_at_a_time = one_at_a_time
        self._index_changes_only = index_changes_only
        self._indexed: tuple[str, tuple[str, ...], datetime | None] | None = None

    # Where the case stands.

    def set_stage(self, stage: str) -> None:
        self.stage = stage
        self.index()

    @property
    def current(self) -> OpenT | None:
        """The open task of a case with one at a time."""
        return next(iter(self.open.values()), None)

    def awaiting(self) -> list[str]:
        return sorted({role for task in self.open.values() for role in task.awaiting})

    def due_at(self) -> datetime | None:
        return min((task.due_at for task in self.open.values()), default=None)

    def index(self) -> None:
        """Tell the inbox and the dashboard the stage, whom the case awaits and by when."""
        if self._one_at_a_time:
            task = next(iter(self.open.values()), None)
            awaiting = task.awaiting if task else None
            due = task.due_at if task else None
        else:
            awaiting, due = self.awaiting(), self.due_at()
        if self._index_changes_only:
            # Each upsert is an event in the history: only a change is written.
            indexed = (self.stage, tuple(awaiting or ()), due)
            if indexed == self._indexed:
                return
            self._indexed = indexed
        index_case(self.stage, awaiting, due)

    # Starting and cancelling.

    def task_id(self, key: str, round: int = 0) -> str:
        base = f"{workflow.info().workflow_id}-task-{key}"
        # A task started again (after a postponement, a new draft) is a workflow of its own.
        return f"{base}-r{round}" if round else base

    async def start(self, key: str, task: OpenT, **fields: Any) -> ChildWorkflowHandle[Any, Any]:
        """Show the task as open, then start it; `fields` are the task's own (`TaskInput`)
        and the child's options."""
        self.open[key] = task
        self.index()
        return await self.child(task.task_id, **fields)

    async def child(self, task_id: str, **fields: Any) -> ChildWorkflowHandle[Any, Any]:
        """Start a task's workflow without showing it yet (a step's tasks show together)."""
        options = {name: fields.pop(name) for name in ("parent_close_policy",) if name in fields}
        return await workflow.start_child_workflow(
            HumanTaskWorkflow.run,
            TaskInput(
                task_id=task_id,
                case_workflow_id=workflow.info().workflow_id,
                case_ref=self.case_ref,
                service=self._service,
                notice_path=self._notice_path,
                **fields,
            ),
            id=task_id,
            **options,
        )

    async def amend(self, task_id: str, change: TaskChange) -> None:
        """Tell an open task its new due time or owner: its timers start over."""
        await workflow.get_external_workflow_handle(task_id).signal(HumanTaskWorkflow.amend, change)

    def close(self, key: str) -> OpenT | None:
        """The task is no longer open (decided, or its wait is over)."""
        task = self.open.pop(key, None)
        self.index()
        return task

    async def cancel(self, keys: Iterable[str] | None = None) -> bool:
        """Cancel the open tasks of `keys` (all when None); False when none was open."""
        chosen = list(self.open) if keys is None else list(keys)
        handles = [
            workflow.get_external_workflow_handle(task.task_id)
            for task in (self.open.pop(key, None) for key in chosen)
            if task is not None
        ]
        if not handles:
            return False
        self.index()
        for outcome in await asyncio.gather(
            *(handle.cancel() for handle in handles), return_exceptions=True
        ):
            # A task that finished meanwhile cannot be cancelled; its result still counts.
            if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
                raise outcome
        return True

    # What the tasks tell.

    def escalated(self, escalation: TaskEscalation) -> None:
        """A task's deadline passed: its escalation role is awaited too."""
        for task in self.open.values():
            if task.task_id == escalation.task_id:
                task.awaiting = list(escalation.awaiting)
                if hasattr(task, "escalated"):  # a document's tasks do not show it
                    setattr(task, "escalated", True)  # noqa: B010
                self.index()

    def reported(self, result: TaskResult) -> None:
        """A task that reports to its case finished; the case records it when it next
        looks (`take_finished`)."""
        for key, task in self.open.items():
            if task.task_id == result.task_id:
                self.finished.append((key, result))

    def take_finished(self) -> tuple[str, TaskResult] | None:
        """The next finished task, no longer open; None when there is none."""
        if not self.finished:
            return None
        key, result = self.finished.pop(0)
        self.close(key)
        return key, result
