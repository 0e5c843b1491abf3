"""The `meria` command as people use it: one-line errors, tokens, and the live event tail."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import nats
import pytest
from nats.errors import Error as NatsError

from meria.auth import verify_token
from meria.bus import Bus, Outbox
from meria.config import Settings, bus_credentials_of
from meria.db import Database
from meria.processes import bus_users
from meria.testing.servers import NatsServer, free_port, wait_for_port
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
    # No token lives long, and no person's token makes a Meria process.
    forever = meria("token", "--user", "x", "--role", "admin", "--ttl", "31536000")
    assert forever.returncode == 2
    assert forever.stderr.strip() == (
        "meria: --ttl must be between 1 and 28800 seconds (MERIA_TOKEN_MAX_TTL_SECONDS)"
    )
    system = meria("token", "--user", "meria-worker", "--role", "system")
    assert system.returncode == 2 and "unknown role system" in system.stderr


def test_keys_of_their_own_sign_the_tokens_in_production(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    made = meria("keys", "generate", str(folder))
    assert made.returncode == 0, made.stderr
    assert "made portal." in made.stdout and "made worker." in made.stdout
    production = {
        "MERIA_ENVIRONMENT": "production",
        "MERIA_SECRET_KEY": "s" * 40,
        "MERIA_TOKEN_KEYSET": str(folder / "jwks.json"),
    }
    unsigned = meria("token", "--user", "nino", "--role", "editor", **production)
    assert unsigned.returncode == 2
    assert "MERIA_TOKEN_SIGNING_KEY is not set" in unsigned.stderr
    signed = meria(
        "token", "--user", "nino", "--role", "editor",
        **production, MERIA_TOKEN_SIGNING_KEY=str(folder / "operator.key.json"),
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    keys = Settings(token_keyset=folder / "jwks.json")  # type: ignore[call-arg]
    assert verify_token(keys, signed.stdout.strip()).roles == {"editor"}
    # The worker's key is the worker's own: the operator cannot sign with it.
    borrowed = meria(
        "token", "--user", "nino", "--role", "admin",
        **production, MERIA_TOKEN_SIGNING_KEY=str(folder / "worker.key.json"),
    )  # fmt: skip
    assert borrowed.returncode == 2 and "not of this process" in borrowed.stderr


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


def test_production_refuses_to_start_a_process_without_its_nats_password() -> None:
    secret = {
        "MERIA_ENVIRONMENT": "production",
        "MERIA_SECRET_KEY": "ს" * 40,
        "MERIA_TOKEN_KEYSET": "/etc/meria/keys/jwks.json",
    }
    result = meria("run", "website", **secret)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "meria: MERIA_WEBSITE_NATS_PASSWORD is not set; production gives each process a "
        "NATS password of its own"
    ]


async def test_run_nats_lets_in_each_process_as_its_own_user_and_no_one_else(
    tmp_path: Path,
) -> None:
    port, monitor = free_port(), free_port()
    server = await asyncio.create_subprocess_exec(
        MERIA,
        "run",
        "nats",
        env={key: value for key, value in os.environ.items() if not key.startswith("MERIA_")}
        | {
            "MERIA_VAR_DIR": str(tmp_path / "var"),
            "MERIA_NATS_URL": f"nats://127.0.0.1:{port}",
            "MERIA_NATS_MONITOR_URL": f"http://127.0.0.1:{monitor}",
        },
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await asyncio.to_thread(wait_for_port, port, 60.0)
        url = f"nats://127.0.0.1:{port}"
        with pytest.raises(NatsError, match="Authorization Violation"):
            await nats.connect(url, allow_reconnect=False, connect_timeout=2)
        # The config holds hashes, not the passwords the processes derive.
        config = (tmp_path / "var" / "nats" / "nats.conf").read_text()
        password = bus_credentials_of("publishing").password.get_secret_value()
        assert password not in config
        assert config.count('password: "$2b$') == len(bus_users())
        # A process connects with what it derives from the same secret, and publishes.
        bus = Bus(url, "test-publishing", bus_credentials_of("publishing"), streams=["PUBLISHING"])
        await bus.connect()
        try:
            acknowledged = await bus.js.publish("publishing.document.published", b"{}")
            assert acknowledged.stream == "PUBLISHING"
        finally:
            await bus.close()
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), 20)
