"""The process's NATS connection, which comes up whenever the server does.

A service starts before NATS is listening: `Bus.run()` retries the connection with
backoff while readiness reports not-ready, then declares the streams it may (its own).
Once connected, nats-py reconnects on its own after the server restarts. The connection
speaks as the process's own NATS user, and its replies come to that user's inbox.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection
from typing import Any

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from meria.bus.streams import ensure_streams
from meria.bus.users import inbox_prefix
from meria.config import BusCredentials
from meria.logging import get_logger

log = get_logger(__name__)


class Bus:
    def __init__(
        self,
        url: str,
        name: str,
        credentials: BusCredentials | None = None,
        *,
        streams: Collection[str] = (),
        stream_replicas: int = 1,
    ) -> None:
        """`url` is one server's, or a cluster's as several separated by commas (the
        client moves to another when its server goes away); `name` tells the connection
        apart in the server's monitoring; `credentials` are the user it speaks as;
        `streams` are the streams it declares on connecting, each kept by
        `stream_replicas` servers of a cluster."""
        self.url = url
        self.servers = [server.strip() for server in url.split(",") if server.strip()]
        self.name = name
        self.credentials = credentials
        self.streams = streams
        self.stream_replicas = stream_replicas
        self._client: NATS | None = None
        self._js: JetStreamContext | None = None
        self._connected = asyncio.Event()

    @property
    def ready(self) -> bool:
        return self._client is not None and self._client.is_connected

    @property
    def client(self) -> NATS:
        if self._client is None:
            raise RuntimeError("the bus is not connected yet")
        return self._client

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError("the bus is not connected yet")
        return self._js

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def connect(self, *, max_backoff: float = 1.0) -> None:
        """Connect, retrying with backoff until the server answers; then declare streams."""
        delay = 0.2
        while True:
            client: NATS | None = None
            try:
                client = await nats.connect(
                    self.servers,
                    name=self.name,
                    **self._authentication(),
                    connect_timeout=2,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                    pending_size=64 * 1024 * 1024,
                )
                js = client.jetstream(timeout=10, publish_async_max_pending=4000)
                await ensure_streams(js, self.streams, replicas=self.stream_replicas)
            except Exception as error:  # any failure to reach the server: try again later
                log.warning("bus.connect_failed", url=self.url, error=str(error), retry_in=delay)
                if client is not None:
                    await _close_quietly(client)
                await asyncio.sleep(delay)
                delay = min(delay * 2, max_backoff)
                continue
            self._client, self._js = client, js
            self._connected.set()
            log.info("bus.connected", url=self.url)
            return

    def _authentication(self) -> dict[str, Any]:
        if self.credentials is None:
            return {}
        return {
            "user": self.credentials.user,
            "password": self.credentials.password.get_secret_value(),
            "inbox_prefix": inbox_prefix(self.credentials.user),
        }

    async def close(self) -> None:
        if self._client is not None:
            await _close_quietly(self._client)
        self._client = None
        self._js = None
        self._connected.clear()

    async def _on_error(self, error: Exception) -> None:
        if "permissions violation" in str(error).lower():
            # The server refused a publish or subscription this user may not make: a
            # bug, or a deployment whose permissions lag behind the code. Loud, because
            # the request itself only times out.
            log.error("bus.permission_denied", user=self._user, error=str(error))
            return
        log.debug("bus.error", error=str(error))

    @property
    def _user(self) -> str | None:
        return self.credentials.user if self.credentials else None

    async def _on_disconnected(self) -> None:
        log.warning("bus.disconnected", url=self.url)

    async def _on_reconnected(self) -> None:
        log.info("bus.reconnected", url=self.url)
        if self._js is not None:
            try:
                await ensure_streams(self._js, self.streams, replicas=self.stream_replicas)
            except Exception as error:
                log.warning("bus.streams_not_declared", error=str(error))


async def _close_quietly(client: Any) -> None:
    try:
        await asyncio.wait_for(client.drain(), timeout=5)
    except Exception:
        with contextlib.suppress(Exception):
            await client.close()


def stop_if_cancelled() -> None:
    """Raise CancelledError if this task was asked to stop and the request got lost.

    Python 3.11's `asyncio.wait_for` (used by nats-py and by the relay) can swallow a
    cancellation that arrives just as what it waits for finishes; a loop that never
    returns would then run on for ever and its stop would hang. The request is still
    counted on the task, so a long-running loop asks at the top of each round."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
