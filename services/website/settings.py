"""Settings of the website process (`MERIA_WEBSITE_*`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from meria.config import ServiceSettings


class WebsiteSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MERIA_WEBSITE_")
    process = "website"

    port: int = 8080
    # The address the public reaches the site at: feeds, the sitemap and Akoma Ntoso
    # identifiers carry it.
    public_url: str = "http://127.0.0.1:8080"
    # Where citizens subscribe by e-mail (the media service's public form); by default
    # the media service's address.
    subscribe_url: str | None = None
    files_dir: Path | None = None
    file_poll_seconds: float = Field(1.0, gt=0)
    page_size: int = Field(20, ge=5, le=100)
    # Rendered pages kept in memory until the read model changes (0 keeps none); pages
    # that show the time of day are rendered again after `page_cache_seconds`; a change
    # made by another process (a rebuild) shows after `page_cache_check_seconds`.
    page_cache_megabytes: int = Field(64, ge=0)
    page_cache_seconds: float = Field(60.0, gt=0)
    page_cache_check_seconds: float = Field(1.0, gt=0)
    # A photo's rendition kept from the media service is asked for again after this long,
    # so a photo whose consent was withdrawn leaves the site; while media is down the copy
    # kept is served.
    photo_cache_seconds: float = Field(3600.0, gt=0)

    @model_validator(mode="after")
    def _files(self) -> WebsiteSettings:
        if self.files_dir is None:
            self.files_dir = self.var_dir / "website" / "files"
        if self.subscribe_url is None:
            self.subscribe_url = f"{self.media_url.rstrip('/')}/subscribe"
        return self
