"""Schema fuzzing of a running service with schemathesis, from the test's event loop.

schemathesis runs as its own process (its CLI), so the services it calls keep being served
by the event loop the test awaits in. It reads the service's `/openapi.json`, sends what
each operation's schema allows and much that it does not, and checks each answer: never a
5xx, a status code and a content type the operation documents, a body its schema allows.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    )
)


@dataclass(frozen=True)
class Budget:
    """How hard to fuzz each service and role: the phases (`coverage` sends every boundary
    and every kind of wrong value the schema implies, thousands of requests per service),
    examples per operation for the random phases, and a time after which they stop."""

    examples: int = 5
    phases: str = "examples,fuzzing"
    seconds: int | None = None
    seed: int = 20261207

    @classmethod
    def from_env(cls) -> Budget:
        """The short pass CI runs, or what `make fuzz` asks for in `MERIA_TEST_FUZZ_*`:
        `EXAMPLES`, `PHASES`, `SECONDS` (per service and role) and `SEED`."""
        seconds = os.environ.get("MERIA_TEST_FUZZ_SECONDS")
        return cls(
            examples=int(os.environ.get("MERIA_TEST_FUZZ_EXAMPLES", cls.examples)),
            phases=os.environ.get("MERIA_TEST_FUZZ_PHASES", cls.phases),
            seconds=int(seconds) if seconds else None,
            seed=int(os.environ.get("MERIA_TEST_FUZZ_SEED", cls.seed)),
        )


@dataclass(frozen=True)
class Outcome:
    service: str
    role: str
    ok: bool
    summary: str
    report: str


async def fuzz(
    service: str,
    url: str,
    role: str,
    token: str,
    budget: Budget,
    folder: Path,
    exclude: Sequence[str] = (),
) -> Outcome:
    """Fuzz one service's OpenAPI with a bearer token, leaving out the paths matching
    `exclude`; the report stays in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{url}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        CHECKS,
        "--phases",
        budget.phases,
        "--max-examples",
        str(budget.examples),
        "--seed",
        str(budget.seed),
        "--workers",
        "1",
        "--continue-on-failure",
        "--generation-database",
        "none",
        # The bearer token above on every request, never one schemathesis makes up.
        "--generation-with-security-parameters",
        "false",
        "--request-timeout",
        "30",
        "--no-color",
        "--output-truncate",
        "false",
    ]
    if budget.seconds:
        command += ["--max-time", str(budget.seconds)]
    for pattern in exclude:
        command += ["--exclude-path-regex", pattern]
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=folder,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "NO_COLOR": "1"},
    )
    output, _ = await process.communicate()
    report = output.decode(errors="replace")
    (folder / f"{service}-{role}.txt").write_text(report)
    summary = report[report.rfind("SUMMARY") :] if "SUMMARY" in report else report[-3000:]
    return Outcome(service, role, process.returncode == 0, summary, report)
