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
LOOP_LAG = Gauge(
    "meria_event_loop_lag_seconds",
    "How late the loop monitor's last timer woke: how long something held the event loop",
)
LOOP_LAG_MAX = Gauge(
    "meria_event_loop_lag_max_seconds", "The longest the event loop was held in the last minute"
)
LOOP_HELD = Histogram(
    "meria_event_loop_held_seconds",
    "How long the event loop was held, measured every 50 ms (above 0.1 s: a stall)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
BACKUP_LAST_SUCCESS = Gauge(
    "meria_backup_last_success_timestamp_seconds",
    "When `meria backup` last finished an archive (0: never, as far as this process sees)",
)
BACKUP_SIZE = Gauge("meria_backup_size_bytes", "The size of the last backup archive")
DISK_FREE = Gauge(
    "meria_disk_free_bytes", "Free space on the filesystem of a data folder", ["folder"]
)
DISK_SIZE = Gauge("meria_disk_size_bytes", "Size of the filesystem of a data folder", ["folder"])
DEAD_LETTERS_OPEN = Gauge(
    "meria_dead_letters_open",
    "Dead letters waiting for a person to re-drive or discard them",
    ["service"],
)
TASKS_OVERDUE = Gauge(
    "meria_tasks_overdue", "Human tasks still open past their due time (Temporal visibility)"
)
WORKFLOW_EXECUTIONS = Gauge(
    "meria_workflows",
    "Workflow executions in the namespace by status (Temporal visibility)",
    ["status"],
)
ACTIVITY_FAILURES = Counter(
    "meria_activity_failures_total",
    "Activity attempts that failed (Temporal retries them unless not retryable)",
    ["activity"],
)
ACTIVITY_RETRIES = Counter(
    "meria_activity_retries_total",
    "Activity attempts that were retries of a failed one",
    ["activity"],
)
READY = Gauge(
    "meria_ready",
    "Each readiness check of the process at scrape time (1 ok, 0 not), as /healthz/ready",
    ["check"],
)
