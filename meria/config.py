"""Settings: one pydantic-settings class per process, read from `MERIA_*` variables.

Settings every process shares are read from `MERIA_<NAME>` (for example `MERIA_NATS_URL`);
a process's own settings from `MERIA_<PROCESS>_<NAME>` (for example
`MERIA_PUBLISHING_PORT`). An invalid value stops the process with one line naming the
variable; production mode refuses the development secret.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "meria-development-secret-not-for-production-use"


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one line meant for the operator."""


def shared(default: Any, name: str, **kwargs: Any) -> Any:
    """A setting every process reads from the same `MERIA_<NAME>` variable."""
    return Field(default, validation_alias=AliasChoices(f"MERIA_{name.upper()}", name), **kwargs)


class Settings(BaseSettings):
    """What every Meria process knows: where the servers are, the secret, the mode."""

    model_config = SettingsConfigDict(
        env_prefix="MERIA_", env_file=".env", extra="ignore", populate_by_name=True
    )
    process: ClassVar[str] = "meria"

    environment: Literal["development", "production"] = shared("development", "environment")
    secret_key: SecretStr = shared(SecretStr(DEVELOPMENT_SECRET), "secret_key")
    var_dir: Path = shared(Path("var"), "var_dir")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = shared("INFO", "log_level")
    log_format: Literal["console", "json"] | None = shared(None, "log_format")

    nats_url: str = shared("nats://127.0.0.1:4222", "nats_url")
    nats_monitor_url: str = shared("http://127.0.0.1:8222", "nats_monitor_url")
    temporal_address: str = shared("127.0.0.1:7233", "temporal_address")
    temporal_namespace: str = shared("meria", "temporal_namespace")
    temporal_task_queue: str = shared("meria", "temporal_task_queue")
    temporal_ui_url: str = shared("http://127.0.0.1:8233", "temporal_ui_url")

    portal_url: str = shared("http://127.0.0.1:8000", "portal_url")
    website_url: str = shared("http://127.0.0.1:8080", "website_url")
    publishing_url: str = shared("http://127.0.0.1:8101", "publishing_url")
    events_url: str = shared("http://127.0.0.1:8102", "events_url")
    visits_url: str = shared("http://127.0.0.1:8103", "visits_url")
    media_url: str = shared("http://127.0.0.1:8104", "media_url")
    worker_url: str = shared("http://127.0.0.1:8105", "worker_url")

    token_ttl_seconds: int = shared(3600, "token_ttl_seconds", gt=0)

    # What an HTTP process shows beside its API. Development shows everything to help a
    # newcomer; production shows no API documents unless asked, and metrics only to a
    # scraper holding the token (Prometheus: `authorization: {credentials_file: …}`).
    api_docs: bool | None = shared(
        None, "api_docs", description="/docs and /openapi.json; default: on in development"
    )
    metrics_token: SecretStr | None = shared(
        None, "metrics_token", description="The bearer token /metrics requires, if any"
    )

    @property
    def serves_api_docs(self) -> bool:
        return self.api_docs if self.api_docs is not None else not self.production

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def effective_log_format(self) -> Literal["console", "json"]:
        if self.log_format is not None:
            return self.log_format
        return "json" if self.production else "console"

    @model_validator(mode="after")
    def _refuse_development_defaults_in_production(self) -> Settings:
        if self.production:
            secret = self.secret_key.get_secret_value()
            if secret == DEVELOPMENT_SECRET:
                raise ValueError(
                    "MERIA_SECRET_KEY is the development default; set a secret of your own"
                )
            if len(secret) < 32:
                raise ValueError("MERIA_SECRET_KEY must be at least 32 characters in production")
        token = self.metrics_token.get_secret_value() if self.metrics_token else None
        if token is not None and len(token) < 32:
            raise ValueError("MERIA_METRICS_TOKEN must be at least 32 characters")
        return self


class ServiceSettings(Settings):
    """A process with an HTTP port and a database of its own."""

    host: str = "127.0.0.1"
    port: int = Field(0, ge=0, le=65535)
    database_url: str = ""
    relay_poll_seconds: float = Field(1.0, gt=0)
    consumer_max_deliver: int = Field(5, ge=1)
    consumer_ack_wait_seconds: float = Field(30.0, gt=0)

    @model_validator(mode="after")
    def _default_database(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.var_dir / f'{self.process}.db'}"
        return self

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


S = TypeVar("S", bound=Settings)


def env_name(settings_class: type[Settings], field: str) -> str:
    """The environment variable an operator sets for one field of a settings class."""
    info = settings_class.model_fields.get(field)
    alias = info.validation_alias if info else None
    if isinstance(alias, AliasChoices):
        first = alias.choices[0]
        if isinstance(first, str):
            return first
    prefix = settings_class.model_config.get("env_prefix", "")
    return f"{prefix}{field}".upper()


def load_settings(settings_class: type[S], **overrides: Any) -> S:
    """Read settings from the environment, or raise SettingsError with a one-line reason."""
    try:
        return settings_class(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        location = [str(part) for part in first["loc"]]
        field = location[0] if location else ""
        message = first["msg"].removeprefix("Value error, ")
        if field and field in settings_class.model_fields:
            raise SettingsError(
                f"invalid setting {env_name(settings_class, field)}: {message}"
            ) from None
        raise SettingsError(f"invalid settings: {message}") from None
