"""OpenTelemetry tracing: one trace from the form through services, workflows and the bus.

FastAPI, SQLAlchemy and httpx are instrumented by their OpenTelemetry packages; Temporal
carries the context in its own headers through `TracingInterceptor`; the bus carries W3C
`traceparent` in NATS message headers (`inject_headers` / `extract_context`). Spans are
exported over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_instrumented_libraries = False


def configure_telemetry(service: str) -> TracerProvider:
    """Install the process's tracer provider once; later calls return the same one."""
    global _instrumented_libraries
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        provider = current
    else:
        provider = TracerProvider(resource=Resource.create({"service.name": f"meria-{service}"}))
        if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
    if not _instrumented_libraries:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        HTTPXClientInstrumentor().instrument()
        # Wraps SQLAlchemy's engine factories: every engine created afterwards is traced.
        SQLAlchemyInstrumentor().instrument()
        _instrumented_libraries = True
    return provider


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def inject_headers(headers: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """Write the current trace context (`traceparent`, `tracestate`) into message headers."""
    propagate.inject(headers)
    return headers


def extract_context(headers: Mapping[str, str] | None) -> Context:
    return propagate.extract(dict(headers or {}))


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=otel_context.get_current())
    return carrier.get("traceparent")
