"""The event bus: NATS JetStream with a transactional outbox and an idempotent inbox."""

from meria.bus.connection import Bus
from meria.bus.consumer import (
    Consumer,
    ConsumerOptions,
    DeadLetter,
    Delivery,
    Subscription,
    Subscriptions,
    durable_name,
)
from meria.bus.outbox import Outbox, OutboxRelay
from meria.bus.streams import ensure_streams, stream_for_subject
from meria.bus.tables import BusTables, define_bus_tables
from meria.bus.users import (
    BACKUP,
    INSTALLER,
    READER,
    BusUser,
    authorization,
    backup_user,
    installer_user,
    reader_user,
    service_user,
)

__all__ = [
    "BACKUP",
    "INSTALLER",
    "READER",
    "Bus",
    "BusTables",
    "BusUser",
    "Consumer",
    "ConsumerOptions",
    "DeadLetter",
    "Delivery",
    "Outbox",
    "OutboxRelay",
    "Subscription",
    "Subscriptions",
    "authorization",
    "backup_user",
    "define_bus_tables",
    "durable_name",
    "ensure_streams",
    "installer_user",
    "reader_user",
    "service_user",
    "stream_for_subject",
]
