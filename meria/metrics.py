"""Prometheus metrics every process exposes at `/metrics`."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "meria_http_requests_total", "HTTP requests answered", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "meria_http_request_seconds", "Time to answer an HTTP request", ["service", "method", "route"]
)
BUS_PUBLISHED = Counter(
    "meria_bus_published_total",
    "Events the outbox relay published and JetStream acknowledged",
    ["service", "subject"],
)
BUS_DELIVERED = Counter(
    "meria_bus_delivered_total", "Events delivered to a consumer", ["consumer", "subject"]
)
BUS_REDELIVERED = Counter(
    "meria_bus_redelivered_total",
    "Deliveries that were not the first for their event",
    ["consumer", "subject"],
)
BUS_APPLIED = Counter(
    "meria_bus_applied_total",
    "Events a handler applied (not counting duplicates skipped)",
    ["consumer", "subject"],
)
BUS_DUPLICATES = Counter(
    "meria_bus_duplicates_total",
    "Deliveries skipped because the inbox had the event",
    ["consumer", "subject"],
)
BUS_DEAD_LETTERED = Counter(
    "meria_bus_dead_lettered_total",
    "Messages moved to the dead-letter subject",
    ["consumer", "reason"],
)
BUS_OUTBOX_BACKLOG = Gauge(
    "meria_bus_outbox_backlog",
    "Outbox rows written but not yet acknowledged by JetStream",
    ["service"],
)
