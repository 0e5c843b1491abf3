"""Settings of the visits process (`MERIA_VISITS_*`)."""

from pydantic_settings import SettingsConfigDict

from meria.config import ServiceSettings


class VisitsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MERIA_VISITS_")
    process = "visits"

    port: int = 8103
