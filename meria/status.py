"""Readiness of the whole stack: NATS, Temporal and every process's `/healthz/ready`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from meria.config import Settings
from meria.processes import PROCESSES


@dataclass
class Check:
    name: str
    url: str
    ready: bool
    detail: str = ""


async def _nats(http: httpx.AsyncClient, settings: Settings) -> Check:
    url = f"{settings.nats_monitor_url}/healthz?js-enabled-only=true"
    try:
        response = await http.get(url)
        ready = response.status_code == 200
        return Check("nats", settings.nats_url, ready, "" if ready else response.text[:200])
    except httpx.HTTPError as error:
        return Check("nats", settings.nats_url, False, f"unreachable ({type(error).__name__})")


async def _temporal(settings: Settings) -> Check:
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

    from meria.temporal import connect_to

    address = settings.temporal_address
    try:
        client = await asyncio.wait_for(connect_to(settings), timeout=3)
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=settings.temporal_namespace)
        )
    except Exception as error:
        return Check("temporal", address, False, str(error).splitlines()[0][:200])
    return Check("temporal", address, True)


async def _process(http: httpx.AsyncClient, name: str, base_url: str) -> Check:
    try:
        response = await http.get(f"{base_url}/healthz/ready")
    except httpx.HTTPError as error:
        return Check(name, base_url, False, f"unreachable ({type(error).__name__})")
    if response.status_code == 200:
        return Check(name, base_url, True)
    try:
        checks = response.json().get("checks", {})
        detail = ", ".join(f"{key}: {value}" for key, value in checks.items() if value != "ok")
    except ValueError:
        detail = f"HTTP {response.status_code}"
    return Check(name, base_url, False, detail)


async def check_all(settings: Settings) -> list[Check]:
    async with httpx.AsyncClient(timeout=3) as http:
        return list(
            await asyncio.gather(
                _nats(http, settings),
                _temporal(settings),
                *(_process(http, name, getattr(settings, f"{name}_url")) for name in PROCESSES),
            )
        )


async def wait_until_ready(settings: Settings, timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if all(check.ready for check in await check_all(settings)):
            return True
        await asyncio.sleep(0.5)
    return False


async def probe_live(name: str, *, ready: bool = False) -> str:
    """Whether the process `name` on this machine is alive, as its container's health
    check asks: raises with the reason when not; returns what answered."""
    from meria.config import load_settings

    if name == "temporal":
        settings = load_settings(Settings)
        grpc_port = settings.temporal_address.rpartition(":")[2]
        local = settings.model_copy(update={"temporal_address": f"127.0.0.1:{grpc_port}"})
        check = await _temporal(local)
        if not check.ready:
            raise RuntimeError(check.detail)
        return check.url
    if name == "nats":
        settings = load_settings(Settings)
        port = httpx.URL(settings.nats_monitor_url).port or 8222
        url = f"http://127.0.0.1:{port}/healthz" + ("?js-enabled-only=true" if ready else "")
    else:
        process = load_settings(PROCESSES[name].settings_class())
        host = "127.0.0.1" if process.host in ("0.0.0.0", "::") else process.host
        url = f"http://{host}:{process.port}/healthz/{'ready' if ready else 'live'}"
    async with httpx.AsyncClient(timeout=3) as http:
        response = await http.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return url
