"""Settings of the portal process (`MERIA_PORTAL_*`)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from meria import municipality
from meria.config import ServiceSettings

# The demo accounts' password in development, printed by `make run`; refused in production.
DEMO_PASSWORD = "meria-demo-2026"


class PortalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MERIA_PORTAL_")
    process = "portal"

    port: int = 8000
    # How long a sign-in lasts without activity, and at most.
    session_idle_minutes: int = Field(8 * 60, gt=0)
    session_max_hours: int = Field(12, gt=0)
    # Sign-in throttling, as limits "N/period;…" over failures: of one account from one
    # browser (or, without the browser's cookie, one address); of one account from
    # addresses it has not signed in from; of one address, whatever the account. Each
    # limit spent holds the next attempt until its window ends, so the waits grow
    # (minutes, an hour, a day) and nobody is locked out by someone else's failures.
    sign_in_pair_limits: str = "5/5 minutes;10/hour;20/day"
    sign_in_account_limits: str = "10/15 minutes;30/day"
    sign_in_address_limits: str = "50/15 minutes;200/day"
    # A browser that signed in is remembered this long by a signed cookie.
    device_days: int = Field(180, gt=0)
    # Inbox and dashboard refresh themselves this often (seconds).
    refresh_seconds: int = Field(15, ge=2)
    # Where an administrator's browser opens the Temporal UI and NATS monitoring: on one
    # server, paths of the portal's own host that Caddy serves behind the admin gate
    # (ops.py); by default the tools' own addresses, MERIA_TEMPORAL_UI_URL and
    # MERIA_NATS_MONITOR_URL.
    temporal_ui_link: str = ""
    nats_monitor_link: str = ""

    # How long a page waits for a service (seconds): reads briefly, writes longer, a
    # connection hardly at all; and after how many failures in a row a service's circuit
    # opens, so pages stop waiting for it, and for how long before it is asked again.
    service_read_timeout_seconds: float = Field(5.0, gt=0, le=120)
    service_write_timeout_seconds: float = Field(20.0, gt=0, le=300)
    service_connect_timeout_seconds: float = Field(2.0, gt=0, le=60)
    breaker_failures: int = Field(3, ge=1, le=100)
    breaker_open_seconds: float = Field(15.0, gt=0, le=3600)

    # Email for notifications; none is sent when no host is set.
    smtp_host: str | None = None
    smtp_port: int = Field(25, gt=0, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    # Who its mail comes from; by default the municipality's sender (its profile).
    mail_from: str | None = None

    # Sign-in through an OpenID Connect provider instead of local passwords, when set.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    # The claim in the ID token that lists Meria roles.
    oidc_roles_claim: str = "roles"

    @property
    def sender(self) -> str:
        """Who its mail comes from: MAIL_FROM if set, else Meria at the municipality's
        sender address (its profile)."""
        return self.mail_from or municipality.current().sender("Meria")

    @property
    def secure_cookies(self) -> bool:
        return self.production

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer)

    @field_validator("sign_in_pair_limits", "sign_in_account_limits", "sign_in_address_limits")
    @classmethod
    def _limits(cls, value: str) -> str:
        # Here, not at the top: reading settings stays light for the command line and
        # `meria run nats`, and the throttle brings SQLAlchemy.
        from meria.throttle import parse_limits

        return parse_limits(value)

    @model_validator(mode="after")
    def _tool_links(self) -> PortalSettings:
        self.temporal_ui_link = (self.temporal_ui_link or self.temporal_ui_url).rstrip("/")
        self.nats_monitor_link = (self.nats_monitor_link or self.nats_monitor_url).rstrip("/")
        return self

    @model_validator(mode="after")
    def _oidc_complete(self) -> PortalSettings:
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("MERIA_PORTAL_OIDC_CLIENT_ID is required with an OIDC issuer")
        return self
