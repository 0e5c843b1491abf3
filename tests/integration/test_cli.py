"""The `meria` command as people use it: one-line errors, tokens, and the live event tail."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from meria.auth import verify_token
from meria.bus import Bus, Outbox
from meria.config import Settings
from meria.db import Database
from meria.testing.servers import NatsServer
from tests.support import bus_app
from tests.support.bus_app import running

MERIA = str(Path(sys.executable).parent / "meria")


def meria(*arguments: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("MERIA_")}
    return subprocess.run(
        [MERIA, *arguments], env=clean | env, capture_output=True, text=True, timeout=60
    )


def test_an_invalid_setting_stops_a_process_with_one_line() -> None:
    result = meria("run", "publishing", MERIA_PUBLISHING_PORT="eighty")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "meria: invalid setting MERIA_PUBLISHING_PORT: "
        "Input should be a valid integer, unable to parse string as an integer"
    ]


def test_a_misspelt_variable_stops_a_process_with_one_line_naming_it() -> None:
    # MERIA_ENV is not MERIA_ENVIRONMENT: ignored, it would leave production in development.
    result = meria("run", "website", MERIA_ENV="production")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "meria: unknown setting MERIA_ENV (did you mean MERIA_ENVIRONMENT?): "
        "no Meria process reads it"
    ]


def test_production_refuses_to_start_with_the_development_secret() -> None:
    result = meria("run", "website", MERIA_ENVIRONMENT="production")
    assert result.returncode == 2
    assert "MERIA_SECRET_KEY is the development default" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_token_for_an_integrator() -> None:
    result = meria("token", "--user", "sakrebulo-bot", "--role", "requester", "--ttl", "60")
    assert result.returncode == 0, result.stderr
    user = verify_token(Settings(), result.stdout.strip())
    assert user.id == "sakrebulo-bot"
    assert user.roles == {"requester"}

    refused = meria("token", "--user", "x", "--role", "overlord")
    assert refused.returncode == 2
    assert refused.stderr.startswith("meria: unknown role overlord; roles are: editor,")


async def test_events_tail_prints_events_as_they_happen(
    nats_server: NatsServer, database: Database, bus: Bus, outbox: Outbox
) -> None:
    tail = await asyncio.create_subprocess_exec(
        MERIA,
        "events",
        "tail",
        "publishing.>",
        env={**os.environ, "MERIA_NATS_URL": nats_server.url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert tail.stdout is not None
        line = b""
        async with running(bus_app.make_relay(database, bus, outbox).run()):
            for number in range(1, 200):
                # The tail listens a moment after it starts; keep recording until it hears.
                await bus_app.record_parcel(database, outbox, number)
                try:
                    line = await asyncio.wait_for(tail.stdout.readline(), timeout=0.5)
                    break
                except TimeoutError:
                    continue
        text = line.decode()
        assert "publishing.parcel.recorded" in text
        assert "parcel:" in text
        assert '"number":' in text
    finally:
        tail.terminate()
        await tail.wait()
