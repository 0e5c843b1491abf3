"""Settings of the publishing process (`MERIA_PUBLISHING_*`)."""

from pydantic_settings import SettingsConfigDict

from meria.config import ServiceSettings


class PublishingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MERIA_PUBLISHING_")
    process = "publishing"

    port: int = 8101
