"""Demo data for the monthly press digest: last month's digest, compiled from the demo
data through the real workflow, so a newcomer finds one on the digest page and in
publishing, waiting for the head of department's approval."""

from __future__ import annotations

from datetime import datetime

from temporalio.exceptions import WorkflowAlreadyStartedError

from meria.cases.digest import start_digest
from meria.seed import SeedContext
from meria.temporal import connect_to
from workflows.digest_calendar import TBILISI, previous_month


async def seed(context: SeedContext) -> int:
    settings = context.settings
    client = await connect_to(settings)
    month = previous_month(datetime.now(TBILISI).date())
    try:
        await start_digest(client, settings.temporal_task_queue, month, "demo-seed")
    except WorkflowAlreadyStartedError:
        return 0
    return 1
