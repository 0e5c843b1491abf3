"""Circuit breakers: a service that stopped answering is asked again only now and then.

The portal and the worker keep one breaker per service they call (purgatory's, in
memory: each process judges for itself). A call that fails with `ServiceTrouble` (no
connection, a timeout, a 5xx) counts; a refusal (4xx) is an answer and does not. After
`failures` troubles in a row the circuit opens: calls fail at once with `CircuitOpen`,
which says what the last trouble was and when the service will be tried again, instead
of each waiting out its timeout. After `open_seconds` the next call goes through; if it
succeeds the circuit closes, if not it opens again.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState


class ServiceTrouble(Exception):
    """A call that got no usable answer: counted by the breaker. The message is short and
    says what happened ("read timeout after 5 s")."""

    def __init__(self, service: str, reason: str, *, pending: bool = False) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason
        # The request went out and no answer came back: it may have been applied.
        self.pending = pending


class CircuitOpen(ServiceTrouble):
    """The service's circuit is open: the call was not made."""

    def __init__(self, service: str, last_trouble: str, retry_at: datetime) -> None:
        reason = f"not answering (last: {last_trouble}); tried again after {retry_at:%H:%M:%S} UTC"
        super().__init__(service, reason)
        self.last_trouble = last_trouble
        self.retry_at = retry_at


def _counts(error: BaseException) -> bool:
    return isinstance(error, ServiceTrouble)


class Breakers:
    """One breaker per service, by name."""

    def __init__(self, failures: int, open_seconds: float) -> None:
        self.failures = failures
        self.open_seconds = open_seconds
        self.factory = AsyncCircuitBreakerFactory(
            default_threshold=failures,
            default_ttl=open_seconds,
            # Whatever is not trouble (a refusal, a cancelled page) leaves the count alone.
            exclude=[(BaseException, lambda error: not _counts(error))],
        )
        self.last_trouble: dict[str, str] = {}

    @asynccontextmanager
    async def guard(self, service: str) -> AsyncIterator[None]:
        """Run a call to `service` under its breaker: `CircuitOpen` at once while open."""
        breaker = await self.factory.get_breaker(service)
        try:
            async with breaker:
                yield
        except OpenedState as opened:
            retry_at = datetime.fromtimestamp(opened.opened_at + self.open_seconds, UTC)
            last = self.last_trouble.get(service, "failing")
            raise CircuitOpen(service, last, retry_at) from None
        except ServiceTrouble as trouble:
            self.last_trouble[service] = trouble.reason
            raise

    async def retry_in(self, service: str) -> float | None:
        """Seconds until an open circuit lets a call through again; None when closed."""
        breaker = await self.factory.get_breaker(service)
        opened_at = breaker.context.opened_at
        if breaker.context.state != "opened" or opened_at is None:
            return None
        return max(0.0, opened_at + self.open_seconds - time.time())


def trouble_of(service: str, error: httpx.TransportError, timeout: httpx.Timeout) -> ServiceTrouble:
    """A short, true account of an httpx failure: which stage, and how long was waited."""
    if isinstance(error, httpx.ConnectTimeout):
        return ServiceTrouble(service, f"no connection within {_seconds(timeout.connect)}")
    if isinstance(error, httpx.PoolTimeout):
        return ServiceTrouble(service, f"no free connection within {_seconds(timeout.pool)}")
    if isinstance(error, httpx.ReadTimeout):
        return ServiceTrouble(service, f"read timeout after {_seconds(timeout.read)}", pending=True)
    if isinstance(error, httpx.WriteTimeout):
        return ServiceTrouble(
            service, f"write timeout after {_seconds(timeout.write)}", pending=True
        )
    if isinstance(error, httpx.ConnectError):
        return ServiceTrouble(service, f"cannot connect ({_first_line(error) or 'refused'})")
    if isinstance(error, httpx.RemoteProtocolError):
        return ServiceTrouble(
            service, f"connection closed mid-answer ({_first_line(error)})", pending=True
        )
    name = type(error).__name__
    return ServiceTrouble(service, f"{name}: {_first_line(error)}".rstrip(": "), pending=True)


def _seconds(value: float | None) -> str:
    return "no limit" if value is None else f"{value:g} s"


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else ""
