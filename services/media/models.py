"""The media service's tables; today the bus outbox and inbox."""

from sqlalchemy.orm import DeclarativeBase

from meria.bus import define_bus_tables
from meria.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


bus_tables = define_bus_tables(Base.metadata)
