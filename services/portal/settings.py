"""Settings of the portal process (`MERIA_PORTAL_*`)."""

from pydantic_settings import SettingsConfigDict

from meria.config import ServiceSettings


class PortalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MERIA_PORTAL_")
    process = "portal"

    port: int = 8000
