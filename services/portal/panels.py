"""Pages made of parts from several services: a part whose service does not answer is
marked unavailable, with why and a way to try again, and the rest of the page renders.

A route reads each part through `Panels.read`; the template shows `panels.missing[name]`
in the part's place (`_unavailable.html`). A case's page also tells what its workflow is
retrying: the activities Temporal has pending, with their last error and the time of
their next attempt (`pending_work`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, timedelta
from typing import Any, TypeVar

from temporalio.client import WorkflowExecutionDescription

from meria.runtime import Runtime
from services.portal import timeline
from services.portal.clients import ServiceUnavailable
from services.portal.i18n import N_, _

T = TypeVar("T")

SERVICE_NAMES = {
    "publishing": N_("the publishing service"),
    "events": N_("the events service"),
    "visits": N_("the visits service"),
    "media": N_("the media service"),
    "website": N_("the website"),
    "temporal": N_("the workflow server"),
}
PENDING_STATES = {
    1: N_("Waiting to start"),
    2: N_("Running"),
    3: N_("Cancelling"),
    4: N_("Paused"),
    5: N_("Pausing"),
}
# A page does not wait long for Temporal to describe a case.
DESCRIBE_TIMEOUT = timedelta(seconds=3)


def service_name(service: str) -> str:
    known = SERVICE_NAMES.get(service)
    return _(known) if known else service


class Panels:
    """What of one page could not be read, by part; the page's top lists them (base.html),
    and a template may say more in the part's place (`panels.missing.<name>`)."""

    def __init__(self) -> None:
        self.missing: dict[str, ServiceUnavailable] = {}
        self.labels: dict[str, str] = {}

    async def read(self, name: str, what: str, call: Awaitable[T], default: T) -> T:
        """The part, or `default` with the part marked missing if its service is away;
        `what` names the part for the reader."""
        try:
            return await call
        except ServiceUnavailable as error:
            self.mark(name, what, error)
            return default

    async def read_all(self, *parts: tuple[str, str, Awaitable[Any], Any]) -> list[Any]:
        """Several parts at once, each as `read` takes it: the page waits for the slowest
        service, not for the sum of them."""
        return list(await asyncio.gather(*(self.read(*part) for part in parts)))

    def mark(self, name: str, what: str, error: ServiceUnavailable) -> None:
        self.missing[name] = error
        self.labels[name] = what

    def parts(self) -> list[tuple[str, ServiceUnavailable]]:
        return [(self.labels[name], error) for name, error in self.missing.items()]

    def __bool__(self) -> bool:
        return bool(self.missing)


def pending_activities(description: WorkflowExecutionDescription) -> list[dict[str, Any]]:
    """What the workflow is doing or retrying: each activity with its attempt, its last
    error (the activity's own short message) and the time of its next attempt."""
    pending = []
    for activity in description.raw_description.pending_activities:
        has = activity.HasField
        pending.append(
            {
                "name": timeline._activity_name(activity.activity_type.name),
                "type": activity.activity_type.name,
                "activity_id": activity.activity_id,
                "state": _(PENDING_STATES.get(activity.state, N_("Running"))),
                "attempt": activity.attempt,
                "maximum": activity.maximum_attempts,
                "failure": timeline.failure_message(activity.last_failure)
                if has("last_failure")
                else "",
                "next_attempt": activity.next_attempt_schedule_time.ToDatetime(tzinfo=UTC)
                if has("next_attempt_schedule_time")
                else None,
                "started": activity.last_started_time.ToDatetime(tzinfo=UTC)
                if has("last_started_time")
                else None,
            }
        )
    return pending


async def pending_work(runtime: Runtime, workflow_id: str | None) -> list[dict[str, Any]]:
    """The pending activities of a case's workflow; none when Temporal does not say."""
    if not workflow_id:
        return []
    try:
        handle = runtime.temporal.get_workflow_handle(workflow_id)
        description = await handle.describe(rpc_timeout=DESCRIBE_TIMEOUT)
    except Exception:  # the page renders without it while Temporal is away
        return []
    return pending_activities(description)
