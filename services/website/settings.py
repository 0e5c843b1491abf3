"""Settings of the website process (`MERIA_WEBSITE_*`)."""

from pydantic_settings import SettingsConfigDict

from meria.config import ServiceSettings


class WebsiteSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MERIA_WEBSITE_")
    process = "website"

    port: int = 8080
