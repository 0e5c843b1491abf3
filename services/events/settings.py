"""Settings of the events process (`MERIA_EVENTS_*`)."""

from pydantic_settings import SettingsConfigDict

from meria.config import ServiceSettings


class EventsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MERIA_EVENTS_")
    process = "events"

    port: int = 8102
