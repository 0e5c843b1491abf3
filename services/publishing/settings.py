"""Settings of the publishing process (`MERIA_PUBLISHING_*`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from meria.uploads import UploadSettings, UploadType

ATTACHMENT_TYPES: tuple[UploadType, ...] = ("pdf", "docx", "odt", "jpeg", "png", "webp", "gif")


class PublishingSettings(UploadSettings):
    model_config = SettingsConfigDict(env_prefix="MERIA_PUBLISHING_")
    process = "publishing"

    port: int = 8101
    attachments_dir: Path | None = None
    max_attachment_bytes: int = Field(25 * 1024 * 1024, gt=0)
    # What a document may carry; pictures are published as they are attached, less
    # their location.
    attachment_types: list[UploadType] = Field(
        default_factory=lambda: list(ATTACHMENT_TYPES), min_length=1
    )
    # The municipality's Ed25519 key (PEM, PKCS#8) that signs every publication record.
    # In development a key is made on first use under var/; production must set one.
    signing_key: SecretStr | None = None
    preview_ttl_seconds: int = Field(7 * 24 * 3600, gt=0)
    # The shortest and longest deadline an approval route's step may have (hours).
    route_deadline_min_hours: float = Field(1.0, gt=0, allow_inf_nan=False)
    route_deadline_max_hours: float = Field(90 * 24.0, gt=0, le=24 * 365, allow_inf_nan=False)
    # How the publication workflow retries publishing before it reports a failure.
    publish_attempts: int = Field(5, ge=1)
    publish_retry_seconds: float = Field(5.0, gt=0)

    @model_validator(mode="after")
    def _paths_and_keys(self) -> PublishingSettings:
        if self.route_deadline_min_hours > self.route_deadline_max_hours:
            raise ValueError(
                "MERIA_PUBLISHING_ROUTE_DEADLINE_MIN_HOURS is above …_ROUTE_DEADLINE_MAX_HOURS"
            )
        if self.attachments_dir is None:
            self.attachments_dir = self.var_dir / "publishing" / "attachments"
        if self.production and self.signing_key is None:
            raise ValueError(
                "MERIA_PUBLISHING_SIGNING_KEY is not set; production signs with the "
                "municipality's own Ed25519 key"
            )
        return self

    @property
    def signing_key_file(self) -> Path:
        return self.var_dir / "publishing" / "signing-key.pem"
