"""A slow or absent service costs a caller its timeout once, then fails fast and says why;
a form sent again repeats its idempotency keys; an activity's failure is one short true
line. Services are httpx mock transports here: no server is touched."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from temporalio.exceptions import ApplicationError

from meria.auth import User
from meria.breakers import Breakers, CircuitOpen, ServiceTrouble, trouble_of
from services.portal import clients
from services.portal.clients import ServiceRefused, Services, ServiceUnavailable
from services.portal.settings import PortalSettings
from workflows.activities.clients import ServiceClient, short
from workflows.failures import truthful
from workflows.settings import WorkerSettings

PERSON = User(id="nino.beridze", name="ნინო ბერიძე", roles=frozenset({"protocol_officer"}))


def slow(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


async def test_a_circuit_opens_after_troubles_in_a_row_and_says_why() -> None:
    breakers = Breakers(failures=2, open_seconds=0.2)
    for _ in range(2):
        with pytest.raises(ServiceTrouble):
            async with breakers.guard("media"):
                raise ServiceTrouble("media", "read timeout after 5 s")
    with pytest.raises(CircuitOpen) as opened:
        async with breakers.guard("media"):
            raise AssertionError("an open circuit makes no call")
    assert "read timeout after 5 s" in str(opened.value)
    assert await breakers.retry_in("media") is not None
    # After the pause one call goes through; its success closes the circuit.
    await asyncio.sleep(0.25)
    async with breakers.guard("media"):
        pass
    assert await breakers.retry_in("media") is None


async def test_a_refusal_is_an_answer_and_does_not_open_the_circuit() -> None:
    breakers = Breakers(failures=1, open_seconds=60)
    with pytest.raises(ValueError):
        async with breakers.guard("events"):
            raise ValueError("422: the Georgian title is required")
    async with breakers.guard("events"):
        pass


def test_an_httpx_failure_is_told_in_a_line_with_the_time_waited() -> None:
    timeout = httpx.Timeout(5.0, connect=2.0)
    request = httpx.Request("POST", "http://media/accreditation-windows/4")
    read = trouble_of("media", httpx.ReadTimeout("", request=request), timeout)
    assert str(read) == "media: read timeout after 5 s" and read.pending
    refused = trouble_of("media", httpx.ConnectError("[Errno 111] refused"), timeout)
    assert str(refused).startswith("media: cannot connect") and not refused.pending


def portal(handler: Callable[[httpx.Request], httpx.Response]) -> Services:
    settings = PortalSettings(breaker_failures=2, breaker_open_seconds=60)
    return Services(settings, httpx.AsyncClient(transport=httpx.MockTransport(handler)))


async def test_a_slow_service_costs_a_page_its_timeout_once_then_fails_fast() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return slow(request)

    services = portal(handler)
    token = clients._page_troubles.set({})
    try:
        with pytest.raises(ServiceUnavailable) as first:
            await services.get(PERSON, "media", "/accreditation-windows/4")
        # The same page asks media no more: the answer is the one it had.
        with pytest.raises(ServiceUnavailable):
            await services.get(PERSON, "media", "/outlets")
    finally:
        clients._page_troubles.reset(token)
    assert first.value.reason == "read timeout after 5 s" and calls == ["/accreditation-windows/4"]
    # The next page tries once more; then the circuit is open and nothing is sent.
    with pytest.raises(ServiceUnavailable):
        await services.get(PERSON, "media", "/outlets")
    with pytest.raises(ServiceUnavailable) as fast:
        await services.get(PERSON, "media", "/outlets")
    assert fast.value.retry_at is not None and len(calls) == 2


async def test_a_write_that_timed_out_is_pending_and_a_refusal_stays_a_refusal() -> None:
    services = portal(slow)
    with pytest.raises(ServiceUnavailable) as pending:
        await services.post(PERSON, "events", "/events", json={"title_ka": "ა"})
    assert pending.value.pending

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"title": "Invalid", "detail": "title_ka: required"})

    with pytest.raises(ServiceRefused) as refused:
        await portal(refuse).post(PERSON, "events", "/events", json={})
    assert refused.value.detail == "title_ka: required"


async def test_a_form_sent_again_repeats_the_keys_of_its_calls() -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("Idempotency-Key", ""))
        return httpx.Response(201, json={"id": 1})

    services = portal(handler)

    async def submit(submission: str) -> None:
        token = clients._submission.set((submission, {}))
        try:
            await services.post(PERSON, "events", "/events", json={})
            await services.post(PERSON, "events", "/events", json={})
            await services.post(PERSON, "events", "/events/1/actions", json={})
        finally:
            clients._submission.reset(token)

    await submit("a" * 24)
    await submit("a" * 24)
    await submit("b" * 24)
    first, again, other = sent[:3], sent[3:6], sent[6:]
    assert first == again and len(set(first)) == 3
    assert not set(first) & set(other)


async def test_the_worker_names_the_call_and_what_happened() -> None:
    settings = WorkerSettings(service_read_timeout_seconds=20, breaker_failures=5)
    client = ServiceClient(settings, "http://media", "media")
    client.http = httpx.AsyncClient(
        base_url="http://media", transport=httpx.MockTransport(slow), auth=client.http.auth
    )
    with pytest.raises(ApplicationError) as failed:
        await client.request("PUT", "/accreditation-windows/4", json={})
    assert failed.value.message == "PUT /accreditation-windows/4: media: read timeout after 20 s"
    assert not failed.value.non_retryable and failed.value.__cause__ is None


async def test_the_worker_sends_a_fresh_token_when_a_service_finds_its_token_expired() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(401 if len(seen) == 1 else 200, json={})

    settings = WorkerSettings()
    client = ServiceClient(settings, "http://events", "events")
    client.http = httpx.AsyncClient(
        base_url="http://events", transport=httpx.MockTransport(handler), auth=client.http.auth
    )
    response = await client.request("POST", "/events/4/transitions", json={})
    assert response.status_code == 200 and len(seen) == 2
    assert all(value.startswith("Bearer ") for value in seen)


def test_an_activity_failure_is_short_and_keeps_whether_it_may_be_retried() -> None:
    try:
        try:
            raise OSError("connection reset " * 200)
        except OSError as cause:
            raise RuntimeError("GET /events/4/case: " + "ახმეტა " * 500) from cause
    except RuntimeError as error:
        told: Any = truthful(error)
    assert len(told.message) <= 400 and told.message.startswith("RuntimeError: GET /events/4")
    assert told.__cause__ is None and not told.non_retryable
    final = truthful(ApplicationError("refused " * 100, type="ServiceRefused", non_retryable=True))
    assert final.non_retryable and final.type == "ServiceRefused"
    assert short("a\n  b") == "a b"


async def test_a_form_sent_again_with_other_values_is_told_so_and_gets_a_new_key() -> None:
    def reused(request: httpx.Request) -> httpx.Response:
        body = {"title": "This Idempotency-Key belongs to another request",
                "code": "idempotency_key_reused"}  # fmt: skip
        return httpx.Response(422, json=body)

    token = clients._submission.set(("c" * 24, {}))
    try:
        with pytest.raises(ServiceRefused) as refused:
            await portal(reused).post(PERSON, "events", "/events", json={"title_ka": "ბ"})
        assert refused.value.detail.startswith("ეს ფორმა უკვე გაიგზავნა სხვა მნიშვნელობებით")
        assert clients.current_submission() is None
    finally:
        clients._submission.reset(token)


async def test_an_earlier_attempt_still_answering_is_awaited_and_a_long_call_waits_longer() -> None:
    timeouts: list[float | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"]["read"])
        if request.url.path.endswith("in-progress"):
            body = {"title": "The first request with this Idempotency-Key is still being handled",
                    "code": "idempotency_in_progress"}  # fmt: skip
            return httpx.Response(409, json=body, headers={"Retry-After": "3"})
        return httpx.Response(409, json={"title": "Not approved", "code": "conflict"})

    settings = WorkerSettings(service_read_timeout_seconds=20)
    client = ServiceClient(settings, "http://publishing", "publishing")
    client.http = httpx.AsyncClient(
        base_url="http://publishing", transport=httpx.MockTransport(handler), auth=client.http.auth
    )
    with pytest.raises(ApplicationError) as waiting:
        await client.request("POST", "/in-progress", idempotency_key="k", read_timeout=150)
    # Retried, after the service's Retry-After: the first attempt's answer comes then.
    assert not waiting.value.non_retryable and waiting.value.type == "ServiceBusy"
    assert waiting.value.next_retry_delay is not None
    assert waiting.value.next_retry_delay.total_seconds() == 3
    with pytest.raises(ApplicationError) as refused:
        await client.request("POST", "/signed-original")
    assert refused.value.non_retryable  # any other conflict is the service's answer
    assert timeouts == [150, 20]
