"""HTTP clients for the services' APIs, authenticated as the worker.

Activities never touch a service's database: they call its API with a short-lived token
in the worker's own name (signed with the worker's key, made afresh for every request as
it is sent and again if the service finds it expired, and carrying no person's role) and
an idempotency key, so a retried activity changes nothing twice. Where a document is
written in a person's name (a visit's press release), the worker names that person as the
document's author; it never borrows their role. A refusal (4xx) is final; anything else
is retried by Temporal. Every stage of a call has a timeout, each service a circuit
breaker, and a failure says in one short line what was asked and what happened.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Generator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from meria.auth import service_token
from meria.breakers import Breakers, ServiceTrouble, trouble_of
from meria.config import Settings
from workflows.settings import WorkerSettings

SERVICES = ("publishing", "events", "visits", "media")
# Temporal keeps at most a few kilobytes of an activity's last failure (more, and it shows
# "Failure exceeds size limit" instead); a cause this long says what happened.
MAX_CAUSE = 400


def activity_key(purpose: str = "") -> str:
    """An idempotency key stable across the retries of one activity and distinct for
    every activity of a run (and, with `purpose`, for each call an activity makes to the
    same service): the service applies a retried call once."""
    info = activity.info()
    key = f"{info.workflow_id}/{info.workflow_run_id}/{info.activity_id}"
    return f"{key}/{purpose}" if purpose else key


def short(text: str, limit: int = MAX_CAUSE) -> str:
    """One line of at most `limit` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class FreshToken(httpx.Auth):
    """The worker's token, made for each request as httpx sends it, and once more when the
    service says it has expired (a request that waited in a queue)."""

    # A request sent again needs its body at hand (a file's upload included).
    requires_request_body = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = f"Bearer {service_token(self.settings)}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {service_token(self.settings)}"
            yield request


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every client, as httpx would make it: each one made loads the CA
    bundle, most of a second of the worker's start when each client made its own."""
    return httpx.create_ssl_context()


class ServiceClient:
    """An HTTP client for one service, with a timeout on every stage of a call and a
    circuit breaker shared by the worker's activities."""

    def __init__(
        self, settings: Settings, base_url: str, name: str = "", breakers: Breakers | None = None
    ) -> None:
        self.settings = settings
        self.name = name or base_url
        timeouts = CallTimeouts.of(settings)
        self.timeout = httpx.Timeout(
            timeouts.read, connect=timeouts.connect, write=timeouts.write, pool=timeouts.pool
        )
        self.breakers = breakers or Breakers(timeouts.breaker_failures, timeouts.breaker_open)
        self.http = httpx.AsyncClient(
            base_url=base_url, timeout=self.timeout, auth=FreshToken(settings), verify=tls_context()
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        idempotency_key: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        files: Any = None,
        retry_on: tuple[int, ...] = (),
        read_timeout: float | None = None,
    ) -> httpx.Response:
        """Call the service as the worker. Statuses in `retry_on` are retried like a
        server's trouble (a case whose creation is still committing). `read_timeout`
        gives a call known to take long (an act's signing waits its turn) more than the
        usual wait for the answer. A failure says in a line what was asked and what
        happened ("PUT /accreditation-windows/4: media: read timeout after 20 s")."""
        where = f"{method} {path}"
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        timeout = self.timeout
        if read_timeout is not None:
            timeout = httpx.Timeout(
                read_timeout,
                connect=timeout.connect,
                write=timeout.write,
                pool=timeout.pool,
            )
        try:
            async with self.breakers.guard(self.name):
                response = await self._send(method, path, headers, json, params, files, timeout)
        except ServiceTrouble as trouble:
            raise await self._unavailable(where, trouble) from None
        status = response.status_code
        if status == 401:
            # Refused twice, with a token made a moment before: the worker's key is not
            # trusted (yet). Retried, in case the service's key set is being rolled out.
            raise ApplicationError(
                short(f"{where}: {self.name} answered 401: {response.text}"), type="Unauthorized"
            )
        if status == 409 and still_answering(response):
            # An earlier attempt timed out here but goes on there: its answer is kept for
            # this key and given to the attempt that asks once it is ready.
            raise ApplicationError(
                short(f"{where}: {self.name} is still answering an earlier attempt"),
                type="ServiceBusy",
                next_retry_delay=timedelta(seconds=retry_after(response)),
            )
        if 400 <= status < 500 and status not in (408, 429) and status not in retry_on:
            # The service refused the request itself; asking again will not change its mind.
            raise ApplicationError(
                short(f"{where}: {self.name} answered {status}: {response.text}"),
                type="ServiceRefused",
                non_retryable=True,
            )
        if status >= 400:
            raise ApplicationError(
                short(f"{where}: {self.name} answered {status}: {response.text}"),
                type="ServiceBusy",
            )
        return response

    async def _send(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        json: Any,
        params: dict[str, Any] | None,
        files: Any,
        timeout: httpx.Timeout,
    ) -> httpx.Response:
        try:
            response = await self.http.request(
                method,
                path,
                json=json,
                params=params,
                files=files,
                headers=headers,
                timeout=timeout,
            )
        except httpx.TransportError as error:
            raise trouble_of(self.name, error, timeout) from None
        if response.status_code >= 500:
            raise ServiceTrouble(
                self.name, short(f"answered {response.status_code}: {response.text}", 200)
            )
        return response

    async def _unavailable(self, where: str, trouble: ServiceTrouble) -> ApplicationError:
        """A retryable failure; while the service's circuit is open, the next attempt
        comes when it closes, so the case's page tells the true time of the next try."""
        delay = await self.breakers.retry_in(self.name)
        return ApplicationError(
            short(f"{where}: {trouble}"),
            type="ServiceUnavailable",
            next_retry_delay=timedelta(seconds=max(delay, 1.0)) if delay is not None else None,
        )

    async def close(self) -> None:
        await self.http.aclose()


def still_answering(response: httpx.Response) -> bool:
    """Whether a 409 says the first request with the same Idempotency-Key is still being
    answered (meria.idempotency), rather than refusing the request."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("code") == "idempotency_in_progress"


def retry_after(response: httpx.Response, longest: float = 30.0) -> float:
    """The seconds a `Retry-After` asks for, between one and `longest`."""
    try:
        seconds = float(response.headers.get("retry-after", "1"))
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 1.0), longest)


@dataclass(frozen=True)
class CallTimeouts:
    """How long the worker waits on each stage of a call, and when a circuit opens."""

    connect: float = 5.0
    read: float = 20.0
    write: float = 20.0
    pool: float = 5.0
    breaker_failures: int = 3
    breaker_open: float = 30.0

    @classmethod
    def of(cls, settings: Settings) -> CallTimeouts:
        if not isinstance(settings, WorkerSettings):
            return cls()
        return cls(
            connect=settings.service_connect_timeout_seconds,
            read=settings.service_read_timeout_seconds,
            write=settings.service_write_timeout_seconds,
            pool=settings.service_pool_timeout_seconds,
            breaker_failures=settings.breaker_failures,
            breaker_open=settings.breaker_open_seconds,
        )


def service_clients(settings: Settings) -> dict[str, ServiceClient]:
    timeouts = CallTimeouts.of(settings)
    breakers = Breakers(timeouts.breaker_failures, timeouts.breaker_open)
    return {
        name: ServiceClient(settings, getattr(settings, f"{name}_url"), name, breakers)
        for name in SERVICES
    }
