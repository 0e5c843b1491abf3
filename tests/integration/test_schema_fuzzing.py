"""Every API holds under schema fuzzing, for an administrator and for a requester.

The whole stack runs with the demo data, so ids 1, 2, … name real documents, events,
visits and journalists, and schemathesis's boundary cases (id 1, an explicit null, the
largest integer, a month of year 0) reach rows, not only 404s. Each answer must be no
server error, carry a status code and content type its operation documents, and match its
schema. CI runs a few examples per operation; `make fuzz` runs many, for minutes.

Worker-only endpoints are fuzzed like the rest: whether they refuse an administrator (403)
or not, each answer must be documented and no server error.

Fuzzed monitoring feeds name made-up addresses that the media service then reads: every
process of the test sends what is not for 127.0.0.1 to a proxy that is not there, so no
request leaves the machine.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from meria.seed import seed_all
from meria.testing.servers import NatsServer, TemporalDevServer, free_port
from tests.conftest import DatabaseFactory
from tests.support.fuzzing import Budget, Outcome, fuzz
from tests.support.stack import running_stack

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(3600)]

SERVICES = ["publishing", "events", "visits", "media", "website", "portal"]
ROLES = ["admin", "requester"]
# Paths left out of the fuzzing, per service, with the reason beside each: none now
# (the journalists' import froze the media service for minutes before distribution lists
# kept their members as rows).
EXCLUDED: dict[str, list[str]] = {}


@pytest.fixture
def no_way_out(monkeypatch: pytest.MonkeyPatch) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, nowhere)
        monkeypatch.setenv(name.lower(), nowhere)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


async def test_every_api_answers_fuzzing_with_documented_answers_and_no_server_error(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
    no_way_out: None,
) -> None:
    budget = Budget.from_env()
    async with running_stack(
        [*SERVICES, "worker"],
        tmp_path=tmp_path,
        nats_url=nats_server.url,
        temporal_address=temporal_server.address,
        new_database=new_database,
    ) as stack:
        await seed_all(stack.operator_settings())

        # Two at a time: while one waits on the services, the other's requests are served.
        lanes = asyncio.Semaphore(2)

        async def fuzzed(service: str, role: str) -> Outcome:
            async with lanes:
                return await fuzz(
                    service,
                    stack.urls[service],
                    role,
                    stack.token(role, user=f"fuzz.{role}"),
                    budget,
                    tmp_path / "fuzz",
                    EXCLUDED.get(service, ()),
                )

        outcomes = await asyncio.gather(
            *(fuzzed(service, role) for service in SERVICES for role in ROLES)
        )

    failed = [outcome for outcome in outcomes if not outcome.ok]
    assert not failed, "\n\n".join(
        f"== {outcome.service} as {outcome.role} (seed {budget.seed}; the whole report: "
        f"{tmp_path / 'fuzz'})\n{outcome.report[-20000:]}"
        for outcome in failed
    )
