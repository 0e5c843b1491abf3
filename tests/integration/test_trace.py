"""One trace from the HTTP request through the workflow's activity to the bus consumer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from meria.telemetry import configure_telemetry
from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.publishing import Desk
from tests.support.stack import running_stack


def spans_named(spans: tuple[ReadableSpan, ...], prefix: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name.startswith(prefix)]


async def test_one_trace_links_request_activity_and_consumer(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> None:
    provider = configure_telemetry("test")
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with (
        running_stack(
            ["publishing", "worker", "website"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=10) as http,
    ):
        editor = stack.headers("editor")
        publishing = stack.urls["publishing"]
        created = await http.post(
            f"{publishing}/documents",
            headers=editor,
            json={"document_type": "news", "title_ka": "ახმეტაში ღვინის ფესტივალი გაიმართა"},
        )
        document_id = created.json()["id"]
        exporter.clear()
        tracer = trace.get_tracer("test")
        with tracer.start_as_current_span("staff submits the form") as root:
            submitted = await http.post(
                f"{publishing}/documents/{document_id}/submit", headers=editor, json={}
            )
            assert submitted.status_code == 200, submitted.text
        trace_id = root.get_span_context().trace_id
        # The approval is a request of its own; the publication stays in the submission's trace.
        head = Desk(stack, http, "tamar.gelashvili", "head_of_department")
        await head.wait_for_stage(document_id, "department_review")
        assert (await head.decide(document_id)).status_code == 200

        handled: list[ReadableSpan] = []
        for _ in range(200):
            handled = spans_named(exporter.get_finished_spans(), "publishing.document.published")
            if handled:
                break
            await asyncio.sleep(0.1)

    spans = exporter.get_finished_spans()
    request = spans_named(spans, "POST /documents/{document_id}/submit")
    activity = spans_named(spans, "RunActivity:publishing.publish_edition")
    consumer = spans_named(spans, "publishing.document.published process")
    assert request, "the service's HTTP span is missing"
    assert activity, "the activity's span is missing"
    assert consumer, "the bus consumer's span is missing"
    # The form's trace runs through the service, the workflow's activity and the consumer.
    for span in (request[0], activity[0], consumer[0]):
        assert span.context.trace_id == trace_id, span.name
    # And the consumer's span has a parent in that trace, not a fresh root.
    assert consumer[0].parent is not None
