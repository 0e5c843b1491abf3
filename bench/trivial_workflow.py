"""The baseline workflow of bench/publication.py: one activity that does nothing.

A module of its own because Temporal's sandbox re-imports a workflow's module, which it
cannot do for a script's `__main__`.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bench.nothing")
async def nothing(number: int) -> int:
    return number


@workflow.defn(name="BenchTrivial")
class Trivial:
    @workflow.run
    async def run(self, number: int) -> int:
        result: int = await workflow.execute_activity(
            nothing, number, start_to_close_timeout=timedelta(seconds=30)
        )
        return result
