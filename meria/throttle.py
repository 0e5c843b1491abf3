"""Throttling: how often an address, an account or a browser may try something.

The counting is the `limits` library's (fixed windows, the strategy behind slowapi and
Flask-Limiter); the counters live in a table of the service's own database, through a
storage of ours, so that every replica of a process shares them and a restart forgives
no one. A rule is several limits at once ("5/5 minutes;10/hour;20/day"): whoever spends
the first waits minutes, the second an hour, the third a day, so delays grow with
persistence and nobody is locked out for good by someone else's failures.

Counts are read before the attempt and written after a failure, each in a transaction
of its own (never inside the caller's): attempts that arrive at once may each pass a
check before the others are counted, so a burst can overrun a limit by the number of
requests a service handles at the same moment, and no more.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, bindparam, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import HTTPConnection

from meria.db import Database

TABLE = "throttle_counters"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def define_throttle_table(metadata: MetaData) -> Table:
    """The counters' table, in the metadata of a service that throttles (and so in its
    migrations)."""
    return Table(
        TABLE,
        metadata,
        Column("key", String(400), primary_key=True),
        Column("hits", Integer, nullable=False),
        # Seconds since the epoch: the window's end, after which the count starts again.
        Column("expires_at", Float, nullable=False, index=True),
    )


def parse_limits(value: str) -> str:
    """A rule's text as settings hold it, checked: "5/5 minutes;10/hour;20/day"."""
    try:
        parse_many(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a list of limits like '5/5 minutes;10/hour;20/day'"
        ) from None
    return value


class DatabaseStorage(Storage):
    """The `limits` counters in a service's own table (SQLite or PostgreSQL)."""

    STORAGE_SCHEME = None  # made directly, never from a URI

    _INCREMENT = text(
        f"INSERT INTO {TABLE} (key, hits, expires_at) VALUES (:key, :amount, :expires) "
        "ON CONFLICT (key) DO UPDATE SET "
        f"hits = CASE WHEN {TABLE}.expires_at <= :now THEN :amount "
        f"ELSE {TABLE}.hits + :amount END, "
        f"expires_at = CASE WHEN {TABLE}.expires_at <= :now THEN :expires "
        f"ELSE {TABLE}.expires_at END "
        "RETURNING hits"
    ).bindparams(
        bindparam("key", type_=String()),
        bindparam("amount", type_=Integer()),
        bindparam("expires", type_=Float()),
        bindparam("now", type_=Float()),
    )

    def __init__(self, database: Database) -> None:
        super().__init__()
        self.database = database

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        moment = time.time()
        async with self.database.transaction() as session:
            hits = await session.scalar(
                self._INCREMENT,
                {"key": key, "amount": amount, "expires": moment + expiry, "now": moment},
            )
            # Windows that ended are of no more use to anyone.
            await session.execute(
                text(f"DELETE FROM {TABLE} WHERE expires_at < :now"), {"now": moment - 60}
            )
        return int(hits or 0)

    async def _row(self, key: str) -> tuple[int, float] | None:
        async with self.database.session() as session:
            row = (
                await session.execute(
                    text(f"SELECT hits, expires_at FROM {TABLE} WHERE key = :key"), {"key": key}
                )
            ).first()
        if row is None or row[1] <= time.time():
            return None
        return int(row[0]), float(row[1])

    async def get(self, key: str) -> int:
        row = await self._row(key)
        return row[0] if row else 0

    async def get_expiry(self, key: str) -> float:
        row = await self._row(key)
        return row[1] if row else time.time()

    async def check(self) -> bool:
        try:
            await self.database.ping()
        except SQLAlchemyError:
            return False
        return True

    async def reset(self) -> int | None:
        async with self.database.transaction() as session:
            result = await session.execute(text(f"DELETE FROM {TABLE}"))
        return int(getattr(result, "rowcount", 0) or 0)

    async def clear(self, key: str) -> None:
        async with self.database.transaction() as session:
            await session.execute(text(f"DELETE FROM {TABLE} WHERE key = :key"), {"key": key})


@dataclass(frozen=True)
class Rule:
    """The limits one kind of identity is held to (an address, an account, a pair)."""

    name: str
    limits: tuple[RateLimitItem, ...]

    @classmethod
    def of(cls, name: str, limits: str) -> Rule:
        return cls(name, tuple(parse_many(limits)))


class Throttle:
    """Rules applied to identities, counted in one service's database."""

    def __init__(self, database: Database) -> None:
        self.limiter = FixedWindowRateLimiter(DatabaseStorage(database))

    async def wait(self, checks: Iterable[tuple[Rule, str]]) -> int:
        """Whole seconds until every rule lets this identity try once more; 0 when it may
        try now."""
        longest = 0.0
        for rule, identity in checks:
            for limit in rule.limits:
                if await self.limiter.test(limit, rule.name, identity):
                    continue
                stats = await self.limiter.get_window_stats(limit, rule.name, identity)
                longest = max(longest, stats.reset_time - time.time())
        return math.ceil(longest) if longest > 0 else 0

    async def count(self, checks: Iterable[tuple[Rule, str]]) -> None:
        """One more attempt (a failure, a request) for each identity under its rule."""
        for rule, identity in checks:
            for limit in rule.limits:
                await self.limiter.hit(limit, rule.name, identity)

    async def admit(self, rule: Rule, identity: str) -> int:
        """Seconds before this identity may try again (0: now), counting the try when it
        may go, whatever its outcome: for public forms, where a flood of requests valid or
        not costs its sender, not the service."""
        wait = await self.wait([(rule, identity)])
        if not wait:
            await self.count([(rule, identity)])
        return wait

    async def forget(self, rule: Rule, identity: str) -> None:
        """The identity starts afresh under this rule (the right password, say)."""
        for limit in rule.limits:
            await self.limiter.clear(limit, rule.name, identity)


def client_address(connection: HTTPConnection, trusted_proxies: Sequence[str]) -> str:
    """The address a request came from, as a throttling key.

    `X-Forwarded-For` is believed only from the proxies named in settings: walking from
    the nearest hop outwards, the first address that is not one of ours is the client
    (anyone can write the header; only our proxy's last entry is true). An IPv6 client is
    its /64, the least a provider hands one subscriber.
    """
    peer = connection.client.host if connection.client else ""
    networks = [ipaddress.ip_network(value, strict=False) for value in trusted_proxies]
    client = _address(peer)
    if client is not None and _within(client, networks):
        hops = ",".join(connection.headers.getlist("x-forwarded-for")).split(",")
        for hop in reversed([hop.strip() for hop in hops if hop.strip()]):
            found = _address(hop)
            if found is None:
                break
            client = found
            if not _within(found, networks):
                break
    if client is None:
        return peer or "unknown"
    if isinstance(client, ipaddress.IPv6Address):
        if client.ipv4_mapped is not None:
            return str(client.ipv4_mapped)
        return str(ipaddress.ip_network(f"{client}/64", strict=False))
    return str(client)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _within(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: Sequence[IPNetwork]
) -> bool:
    return any(address in network for network in networks)
