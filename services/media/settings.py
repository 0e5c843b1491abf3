"""Settings of the media process (`MERIA_MEDIA_*`).

Every length of time the media response workflow waits is here, so tests and a small
municipality can choose their own.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from meria import municipality
from meria.uploads import UploadSettings, UploadType

LIBRARY_TYPES: tuple[UploadType, ...] = (
    # photos
    "jpeg",
    "png",
    "webp",
    "tiff",
    # videos
    "mp4",
    "mov",
    "webm",
    # files
    "pdf",
    "docx",
    "pptx",
    "odt",
    "mp3",
)
# Answers are documents, tables and pictures; anything else is refused by its content.
ANSWER_TYPES: tuple[UploadType, ...] = (
    "pdf",
    "docx",
    "xlsx",
    "odt",
    "ods",
    "doc",
    "xls",
    "csv",
    "txt",
    "jpeg",
    "png",
)


class MediaSettings(UploadSettings):
    model_config = SettingsConfigDict(env_prefix="MERIA_MEDIA_")
    process = "media"

    port: int = 8104
    # Where journalists reach the public form and the unsubscribe link (the media
    # service's address as the public sees it); the service's own address by default.
    public_url: str | None = None

    # Press distribution through this SMTP server; nothing is sent while no host is set.
    smtp_host: str | None = None
    smtp_port: int = Field(25, gt=0, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    # Who press mail comes from; by default the city hall's press office at the
    # municipality's sender address (its profile).
    mail_from: str | None = None
    # A temporary refusal (4xx) is tried again after this long, doubled each time.
    mail_retry_seconds: float = Field(60.0, gt=0)
    mail_max_attempts: int = Field(8, ge=1)
    mail_poll_seconds: float = Field(1.0, gt=0)
    # Document types whose publication goes out to the distribution lists.
    distributed_types: list[str] = Field(default_factory=lambda: ["press_release", "announcement"])

    # Monitoring: feeds are read this often; an entry is recorded when its title or
    # summary holds one of these words (stems: a stem finds every case ending); by
    # default the municipality's own name in Georgian and English (its profile).
    feed_poll_seconds: float = Field(900.0, gt=0)
    feed_keywords: list[str] = Field(default_factory=list)

    # The public accreditation form: requests from one address, as limits "N/period;…".
    public_form_limits: str = "5/hour;20/day"

    # Citizens' subscriptions by e-mail (services/media/citizens.py): the public form from
    # one address, and confirmation mails to one e-mail address, as limits "N/period;…";
    # how long a confirmation link holds; the hour (Tbilisi) daily digests go out from,
    # and how often the digests look for who is due.
    subscribe_form_limits: str = "5/hour;20/day"
    subscription_mail_limits: str = "3/day;10/month"
    subscription_confirm_hours: float = Field(72.0, gt=0)
    digest_hour: int = Field(8, ge=0, le=23)
    digest_poll_seconds: float = Field(300.0, gt=0)

    # Media responses: the draft is due this many hours after the response is asked for.
    response_draft_hours: float = Field(24.0, gt=0)
    response_approval_hours: float = Field(24.0, gt=0)
    # Information requests: the largest file an answer may carry.
    information_file_max_bytes: int = Field(25_000_000, gt=0)
    information_file_types: list[UploadType] = Field(
        default_factory=lambda: list(ANSWER_TYPES), min_length=1
    )
    # Whether an enquiry's answer needs the head of department's approval before it goes.
    enquiry_approval_required: bool = True
    # The account that writes statements in the publishing service when the owner has none.
    statement_editor: str = "demo.editor"

    # The media library.
    library_url: str | None = Field(
        None, description="fsspec URL: a folder (default var/media/library) or s3://bucket/prefix"
    )
    s3_endpoint_url: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: SecretStr | None = None
    s3_region: str | None = None
    max_photo_bytes: int = Field(30 * 1024 * 1024, gt=0)
    max_video_bytes: int = Field(2 * 1024 * 1024 * 1024, gt=0)
    max_file_bytes: int = Field(50 * 1024 * 1024, gt=0)
    # Pictures are photos and videos are videos; anything else is a file.
    library_types: list[UploadType] = Field(
        default_factory=lambda: list(LIBRARY_TYPES), min_length=1
    )
    thumbnail_pixels: int = Field(480, ge=64, le=2048)

    # Fonts for accreditation badges: Noto Sans Georgian carries Georgian only, so Latin
    # letters come from Noto Sans (both in Debian's fonts-noto-core).
    badge_fonts: Path = Path("/usr/share/fonts/truetype/noto")

    @property
    def sender(self) -> str:
        """Who its mail comes from: MAIL_FROM if set, else the city hall's press office
        at the municipality's sender address (its profile)."""
        return self.mail_from or municipality.current().sender("პრესსამსახური")

    @field_validator("public_form_limits", "subscribe_form_limits", "subscription_mail_limits")
    @classmethod
    def _limits(cls, value: str) -> str:
        # Here, not at the top: reading settings stays light for the command line and
        # `meria run nats`, and the throttle brings SQLAlchemy.
        from meria.throttle import parse_limits

        return parse_limits(value)

    @model_validator(mode="after")
    def _defaults(self) -> MediaSettings:
        if self.library_url is None:
            self.library_url = str((self.var_dir / "media" / "library").resolve())
        return self

    @property
    def public_base(self) -> str:
        return (self.public_url or self.media_url).rstrip("/")
