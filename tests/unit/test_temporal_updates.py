"""How a service's Update to a workflow answers when Temporal does not find the workflow."""

from __future__ import annotations

import time
from typing import Any

import pytest
from temporalio.service import RPCError, RPCStatusCode

from meria import temporal
from meria.problems import Problem


class Handle:
    """Answers each Update with the next of `answers`: an RPC status to fail with, or a value."""

    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers
        self.calls = 0

    async def execute_update(self, update: Any, argument: Any) -> Any:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        if isinstance(answer, RPCStatusCode):
            raise RPCError("workflow not found for ID: media-response-1-task-approval", answer, b"")
        return answer


class Client:
    def __init__(self, handle: Handle) -> None:
        self.handle = handle

    def get_workflow_handle(self, workflow_id: str) -> Handle:
        return self.handle


async def test_a_step_that_starts_a_moment_later_takes_the_update() -> None:
    handle = Handle([RPCStatusCode.NOT_FOUND, RPCStatusCode.NOT_FOUND, "დამტკიცდა"])
    assert await temporal.send_update(Client(handle), "task", None, None) == "დამტკიცდა"  # type: ignore[arg-type]
    assert handle.calls == 3


async def test_a_workflow_still_not_found_after_the_grace_is_finished(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(temporal, "NOT_STARTED_GRACE_SECONDS", 0.3)
    handle = Handle([RPCStatusCode.NOT_FOUND])
    started = time.monotonic()
    with pytest.raises(Problem) as refused:
        await temporal.send_update(Client(handle), "task", None, None)  # type: ignore[arg-type]
    assert refused.value.status == 409
    assert time.monotonic() - started >= 0.3
    assert handle.calls >= 2
    own = Problem(409, "Not open", "The mayor's approval is no longer open.")
    with pytest.raises(Problem) as refused:
        await temporal.send_update(
            Client(Handle([RPCStatusCode.NOT_FOUND])), "t", None, None, not_found=own
        )  # type: ignore[arg-type]
    assert refused.value is own


async def test_other_refusals_are_answered_at_once() -> None:
    handle = Handle([RPCStatusCode.FAILED_PRECONDITION])
    with pytest.raises(Problem) as refused:
        await temporal.send_update(Client(handle), "task", None, None)  # type: ignore[arg-type]
    assert refused.value.status == 409 and handle.calls == 1
    handle = Handle([RPCStatusCode.UNAVAILABLE])
    with pytest.raises(Problem) as refused:
        await temporal.send_update(Client(handle), "task", None, None)  # type: ignore[arg-type]
    assert refused.value.status == 503 and handle.calls == 1
