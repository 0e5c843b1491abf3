"""Throttling's parts: the client's address behind proxies, and counters in a real SQLite
database that the `limits` library's fixed windows read and write."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData
from starlette.requests import Request

from meria.db import Database
from meria.throttle import Rule, Throttle, client_address, define_throttle_table, parse_limits


def request_from(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 50000), "headers": headers})


def test_the_forwarded_address_is_believed_only_from_a_trusted_proxy() -> None:
    proxies = ["10.0.0.0/8", "127.0.0.1"]
    # Nobody trusted: the peer is the client, whatever the header says.
    assert client_address(request_from("198.51.100.7", "203.0.113.1"), []) == "198.51.100.7"
    assert client_address(request_from("198.51.100.7", "203.0.113.1"), proxies) == "198.51.100.7"
    # Through our proxy, the nearest address that is not ours; what the client wrote
    # before it (a forged first entry) does not count.
    assert client_address(request_from("127.0.0.1", "1.2.3.4, 198.51.100.7"), proxies) == (
        "198.51.100.7"
    )
    assert (
        client_address(request_from("127.0.0.1", "1.2.3.4", "198.51.100.7, 10.0.0.5"), proxies)
        == "198.51.100.7"
    )
    # Garbage in the header stops the walk at the last proxy that vouched for it.
    assert client_address(request_from("127.0.0.1", "not-an-address"), proxies) == "127.0.0.1"
    # One IPv6 subscriber is its /64; an IPv4 client mapped into IPv6 is itself.
    assert client_address(request_from("2001:db8:1:2:3:4:5:6"), []) == "2001:db8:1:2::/64"
    assert client_address(request_from("::ffff:198.51.100.7"), []) == "198.51.100.7"


def test_limits_in_settings_are_checked() -> None:
    assert parse_limits("5/5 minutes;10/hour;20/day") == "5/5 minutes;10/hour;20/day"
    with pytest.raises(ValueError, match="not a list of limits"):
        parse_limits("ხუთი დღეში")


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    metadata = MetaData()
    define_throttle_table(metadata)
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'throttle.db'}")
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield database
    await database.dispose()


async def test_counts_hold_an_identity_until_its_longest_spent_window_ends(
    database: Database,
) -> None:
    throttle = Throttle(database)
    rule = Rule.of("sign-in-pair", "2/minute;3/hour")
    checks = [(rule, "ნინო 198.51.100.7")]
    assert await throttle.wait(checks) == 0
    await throttle.count(checks)
    await throttle.count(checks)
    assert 55 < await throttle.wait(checks) <= 60
    await throttle.count(checks)
    assert 3500 < await throttle.wait(checks) <= 3600
    # Someone else is not held; forgetting starts the identity afresh.
    assert await throttle.wait([(rule, "ნინო 198.51.100.8")]) == 0
    await throttle.forget(rule, "ნინო 198.51.100.7")
    assert await throttle.wait(checks) == 0
