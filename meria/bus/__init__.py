"""The event bus: NATS JetStream with a transactional outbox and an idempotent inbox."""

from meria.bus.connection import Bus
from meria.bus.consumer import (
    Consumer,
    ConsumerOptions,
    DeadLetter,
    Delivery,
    Subscription,
    Subscriptions,
)
from meria.bus.outbox import Outbox, OutboxRelay
from meria.bus.streams import ensure_streams, stream_for_subject
from meria.bus.tables import BusTables, define_bus_tables

__all__ = [
    "Bus",
    "BusTables",
    "Consumer",
    "ConsumerOptions",
    "DeadLetter",
    "Delivery",
    "Outbox",
    "OutboxRelay",
    "Subscription",
    "Subscriptions",
    "define_bus_tables",
    "ensure_streams",
    "stream_for_subject",
]
