"""Settings of the publishing process (`MERIA_PUBLISHING_*`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from meria.uploads import UploadSettings, UploadType

ATTACHMENT_TYPES: tuple[UploadType, ...] = ("pdf", "docx", "odt", "jpeg", "png", "webp", "gif")


class SignerKey(BaseModel):
    """Where one signing official's key is: a PKCS#12 file (with the file of its password),
    or a key on a PKCS#11 token (the token's library, its label, the key's label, and the
    file of the user PIN)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pkcs12: Path | None = None
    pkcs12_password_file: Path | None = None
    pkcs11_module: Path | None = None
    pkcs11_token_label: str | None = None
    pkcs11_key_label: str | None = None
    pkcs11_cert_label: str | None = None
    pkcs11_pin_file: Path | None = None
    # The certificates between the official's and the root (PEM), when the token holds
    # only the official's own: they travel in the signature so anyone can build the chain.
    pkcs11_chain: Path | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> SignerKey:
        if (self.pkcs12 is None) == (self.pkcs11_module is None):
            raise ValueError("a signer has either pkcs12 or pkcs11_module")
        if self.pkcs11_module is not None and not (
            self.pkcs11_token_label and self.pkcs11_key_label
        ):
            raise ValueError("a PKCS#11 signer names pkcs11_token_label and pkcs11_key_label")
        return self


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
    # A standing page's review: how long its owner has once it is due (then the head of
    # department is awaited too), and when a page found to need changes is asked again.
    page_review_answer_hours: float = Field(14 * 24.0, gt=0, allow_inf_nan=False)
    page_review_again_days: float = Field(30.0, gt=0, allow_inf_nan=False)

    # A signed act (PDF/A) names the municipality and the place it is signed from its
    # profile (meria/municipality.py); its coat of arms is a PNG or JPEG, if any.
    coat_of_arms: Path | None = None
    act_fonts: Path = Path("/usr/share/fonts/truetype/noto")
    # The officials who sign legal acts (PAdES), by user id: JSON such as
    # {"giorgi.mayor": {"pkcs12": "/run/secrets/mayor.p12",
    #                   "pkcs12_password_file": "/run/secrets/mayor.p12.password"}}
    # or a token: {"pkcs11_module": "/usr/lib/…/opensc-pkcs11.so", "pkcs11_token_label": …,
    # "pkcs11_key_label": …, "pkcs11_pin_file": …}. In development an official without an
    # entry signs with a certificate of the local test CA (`meria init`), which production
    # refuses.
    signers: dict[str, SignerKey] = Field(default_factory=dict)
    # The root certificates (PEM) the signers' chains end in, which the website publishes
    # for anyone to validate a signed act; in development the test CA's root.
    signing_trust_roots: Path | None = None
    # Where the development test CA lives (default var/publishing/signing-ca).
    signing_ca_dir: Path | None = None
    # An RFC 3161 timestamp server that dates each signature, if any, and how long to wait.
    timestamp_url: str | None = None
    timestamp_timeout_seconds: float = Field(10.0, gt=0, le=120)
    # How many acts are rendered and signed at once; the others wait their turn.
    signing_concurrency: int = Field(1, ge=1, le=16)

    @model_validator(mode="after")
    def _paths_and_keys(self) -> PublishingSettings:
        if self.route_deadline_min_hours > self.route_deadline_max_hours:
            raise ValueError(
                "MERIA_PUBLISHING_ROUTE_DEADLINE_MIN_HOURS is above …_ROUTE_DEADLINE_MAX_HOURS"
            )
        if self.attachments_dir is None:
            self.attachments_dir = self.var_dir / "publishing" / "attachments"
        if self.signing_ca_dir is None:
            self.signing_ca_dir = self.var_dir / "publishing" / "signing-ca"
        if self.production and self.signers and self.signing_trust_roots is None:
            raise ValueError(
                "MERIA_PUBLISHING_SIGNING_TRUST_ROOTS is not set; production names the root "
                "certificates its signers' chains end in"
            )
        if self.production and self.signing_key is None:
            raise ValueError(
                "MERIA_PUBLISHING_SIGNING_KEY is not set; production signs with the "
                "municipality's own Ed25519 key"
            )
        return self

    @property
    def signing_key_file(self) -> Path:
        return self.var_dir / "publishing" / "signing-key.pem"
