"""Settings of the media process (`MERIA_MEDIA_*`)."""

from pydantic_settings import SettingsConfigDict

from meria.config import ServiceSettings


class MediaSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MERIA_MEDIA_")
    process = "media"

    port: int = 8104
