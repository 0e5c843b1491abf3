"""Which background jobs run in one replica at a time, and their locks."""

from __future__ import annotations

from meria.processes import PROCESSES
from meria.singleton import is_one_replica, lock_key


def test_the_jobs_that_act_on_the_world_run_in_one_replica_and_the_others_in_each() -> None:
    marked = {
        (name, job.__name__): is_one_replica(job)
        for name, spec in PROCESSES.items()
        for job in spec.parts().background
    }
    # Senders of mail, sweeps and the fetching of files: twice would mean twice done.
    assert {job for job, alone in marked.items() if alone} == {
        ("portal", "keep_sending"),
        ("website", "fetch_files"),
        ("events", "complete_past_events"),
        ("events", "keep_sending"),
        ("visits", "run_sweeps"),
        ("media", "keep_sending"),
        ("media", "keep_reading_feeds"),
    }
    # What every replica needs of its own: its HTTP client, its Temporal worker.
    assert marked[("portal", "keep_http_client")] is False
    assert marked[("worker", "run_worker")] is False


def test_each_job_has_a_lock_of_its_own_the_same_in_every_replica() -> None:
    keys = {lock_key(f"{service}.keep_sending") for service in ("portal", "events", "media")}
    assert len(keys) == 3
    assert lock_key("media.keep_sending") == lock_key("media.keep_sending")
    assert all(-(2**63) <= key < 2**63 for key in keys)


async def test_a_job_moved_to_another_replica_takes_its_readiness_state_along() -> None:
    """A sender failing here, then taken over by another replica, leaves this replica
    ready: its state for readiness goes with it."""
    import asyncio
    from types import SimpleNamespace

    from meria.runtime import Runtime

    here = SimpleNamespace(job_states={"other": "ok"})
    started = asyncio.Event()

    async def sender(runtime: SimpleNamespace) -> None:
        runtime.job_states["email"] = "failing: the mail server refused"
        started.set()
        await asyncio.sleep(3600)

    task = asyncio.create_task(Runtime._here(here, sender))  # type: ignore[arg-type]
    await started.wait()
    assert here.job_states["email"].startswith("failing")
    task.cancel()  # the lock was lost: another replica runs it now
    await asyncio.gather(task, return_exceptions=True)
    assert here.job_states == {"other": "ok"}
