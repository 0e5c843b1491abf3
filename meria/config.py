"""Settings: one pydantic-settings class per process, read from `MERIA_*` variables.

Settings every process shares are read from `MERIA_<NAME>` (for example `MERIA_NATS_URL`);
a process's own settings from `MERIA_<PROCESS>_<NAME>` (for example
`MERIA_PUBLISHING_PORT`). An invalid value stops the process with one line naming the
variable, and so does a `MERIA_*` variable that no process reads (a misspelt
`MERIA_ENV=production` would otherwise leave a production server in development mode);
production mode refuses the development secret.

On NATS each process is a user of its own (`MERIA_<PROCESS>_NATS_PASSWORD`; the read-only
tools are the `reader`, `MERIA_READER_NATS_PASSWORD`). In development every password is
derived from MERIA_SECRET_KEY, so `make run` needs nothing configured and the processes and
`meria run nats` agree; production refuses derived passwords.

Any setting may come from a file instead: `MERIA_<NAME>_FILE` names a file whose content
(less a final line break) is the value, as containers are handed secrets
(`/run/secrets/…`), so no secret stands in a compose file or a process's listing.
"""

from __future__ import annotations

import base64
import contextlib
import difflib
import hashlib
import hmac
import ipaddress
import os
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from dotenv import dotenv_values
from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
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
    # Where `meria backup` writes its archives and the note of the last one, which every
    # process reads for `meria_backup_last_success_timestamp_seconds`; default var/backups.
    backup_dir: Path | None = shared(None, "backup_dir")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = shared("INFO", "log_level")
    log_format: Literal["console", "json"] | None = shared(None, "log_format")

    nats_url: str = shared("nats://127.0.0.1:4222", "nats_url")
    nats_monitor_url: str = shared("http://127.0.0.1:8222", "nats_monitor_url")
    temporal_address: str = shared("127.0.0.1:7233", "temporal_address")
    temporal_namespace: str = shared("meria", "temporal_namespace")
    temporal_task_queue: str = shared("meria", "temporal_task_queue")
    temporal_ui_url: str = shared("http://127.0.0.1:8233", "temporal_ui_url")
    # How to reach a Temporal server that is not on a trusted network: TLS, with the CA
    # that signed the server's certificate (default: the system's), a client certificate
    # and its key for mutual TLS (a self-hosted cluster's frontend, or Temporal Cloud's
    # mTLS namespaces), or Temporal Cloud's API key (sent over TLS as a bearer token).
    # Each file may be a secret mounted by the container engine; the key is best given as
    # MERIA_TEMPORAL_API_KEY_FILE.
    temporal_tls: bool = shared(False, "temporal_tls")
    temporal_tls_ca: Path | None = shared(None, "temporal_tls_ca")
    temporal_tls_cert: Path | None = shared(None, "temporal_tls_cert")
    temporal_tls_key: Path | None = shared(None, "temporal_tls_key")
    temporal_tls_server_name: str | None = shared(None, "temporal_tls_server_name")
    temporal_api_key: SecretStr | None = shared(None, "temporal_api_key")
    # How many servers of a NATS cluster keep each of Meria's streams (1 on one server;
    # 3 on a three-node cluster, which then survives the loss of any one node).
    nats_stream_replicas: int = shared(1, "nats_stream_replicas", ge=1, le=5)

    portal_url: str = shared("http://127.0.0.1:8000", "portal_url")
    website_url: str = shared("http://127.0.0.1:8080", "website_url")
    publishing_url: str = shared("http://127.0.0.1:8101", "publishing_url")
    events_url: str = shared("http://127.0.0.1:8102", "events_url")
    visits_url: str = shared("http://127.0.0.1:8103", "visits_url")
    media_url: str = shared("http://127.0.0.1:8104", "media_url")
    worker_url: str = shared("http://127.0.0.1:8105", "worker_url")

    token_ttl_seconds: int = shared(3600, "token_ttl_seconds", gt=0)
    # The longest a token may live, whoever signs it: a leaked token is soon worthless, and
    # a person's access ends with their portal session (its tokens live minutes).
    token_max_ttl_seconds: int = shared(8 * 3600, "token_max_ttl_seconds", gt=0, le=24 * 3600)
    # The published key set every process verifies tokens with (JWKS, public keys), and
    # this process's own private key; unset in development, where keys derive from the
    # secret (meria/keys.py).
    token_keyset: Path | None = shared(None, "token_keyset")
    token_signing_key: Path | None = shared(None, "token_signing_key")
    # The reverse proxies (addresses or networks) whose X-Forwarded-For is believed when
    # a request's address counts, as in throttling; none by default: the peer is the client.
    trusted_proxies: list[str] = Field(
        default_factory=list,
        validation_alias=AliasChoices("MERIA_TRUSTED_PROXIES", "trusted_proxies"),
    )

    # What an HTTP process shows beside its API. Development shows everything to help a
    # newcomer; production shows no API documents unless asked, and metrics only to a
    # scraper holding the token (Prometheus: `authorization: {credentials_file: …}`).
    api_docs: bool | None = shared(
        None, "api_docs", description="/docs and /openapi.json; default: on in development"
    )
    metrics_token: SecretStr | None = shared(
        None, "metrics_token", description="The bearer token /metrics requires, if any"
    )
    # The hosts a video may be embedded from on the public site (press conferences):
    # anything else is refused, and the site's Content-Security-Policy frames only these.
    video_hosts: list[str] = Field(
        default_factory=lambda: ["www.youtube-nocookie.com", "player.vimeo.com"],
        validation_alias=AliasChoices("MERIA_VIDEO_HOSTS", "video_hosts"),
    )

    @property
    def backups(self) -> Path:
        return self.backup_dir or self.var_dir / "backups"

    @property
    def serves_api_docs(self) -> bool:
        return self.api_docs if self.api_docs is not None else not self.production

    @property
    def temporal_uses_tls(self) -> bool:
        """TLS towards Temporal: asked for, or implied by a certificate or an API key."""
        return bool(
            self.temporal_tls
            or self.temporal_tls_ca
            or self.temporal_tls_cert
            or self.temporal_api_key is not None
        )

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def effective_log_format(self) -> Literal["console", "json"]:
        if self.log_format is not None:
            return self.log_format
        return "json" if self.production else "console"

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"{network!r} is not an address or a network") from None
        return value

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
            if self.token_keyset is None:
                raise ValueError(
                    "MERIA_TOKEN_KEYSET is not set: production verifies tokens with a published "
                    "key set of its own (make one with `meria keys generate`)"
                )
        if (self.temporal_tls_cert is None) != (self.temporal_tls_key is None):
            raise ValueError(
                "MERIA_TEMPORAL_TLS_CERT and MERIA_TEMPORAL_TLS_KEY go together: a client "
                "certificate needs its key"
            )
        if self.token_ttl_seconds > self.token_max_ttl_seconds:
            raise ValueError("MERIA_TOKEN_TTL_SECONDS is longer than MERIA_TOKEN_MAX_TTL_SECONDS")
        token = self.metrics_token.get_secret_value() if self.metrics_token else None
        if token is not None and len(token) < 32:
            raise ValueError("MERIA_METRICS_TOKEN must be at least 32 characters")
        return self


@dataclass(frozen=True)
class BusCredentials:
    """Who a process is on NATS."""

    user: str
    password: SecretStr


def derived_nats_password(secret_key: str, user: str) -> str:
    """The development password of NATS user `user`: the same wherever MERIA_SECRET_KEY is."""
    digest = hmac.new(secret_key.encode(), f"meria nats user {user}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


class BusClientSettings(Settings):
    """A process that connects to NATS as a user of its own, named after the process."""

    # MERIA_<PROCESS>_NATS_PASSWORD; unset in development, derived from MERIA_SECRET_KEY.
    nats_password: SecretStr | None = None

    @field_validator("nats_password")
    @classmethod
    def _refuse_derived_nats_password_in_production(
        cls, password: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if password is None or info.data.get("environment") != "production":
            return password
        secrets = [DEVELOPMENT_SECRET]
        if isinstance(info.data.get("secret_key"), SecretStr):
            secrets.append(info.data["secret_key"].get_secret_value())
        if password.get_secret_value() in {derived_nats_password(s, cls.process) for s in secrets}:
            raise ValueError("is derived from a secret key; set a password of its own")
        if len(password.get_secret_value()) < 24:
            raise ValueError("must be at least 24 characters in production")
        return password

    def bus_credentials(self) -> BusCredentials:
        """This process's NATS user and password; raises SettingsError in production when
        the password is not set (a process that never connects to NATS never asks)."""
        if self.nats_password is not None:
            return BusCredentials(self.process, self.nats_password)
        if self.production:
            raise SettingsError(
                f"{env_name(type(self), 'nats_password')} is not set; production gives "
                "each process a NATS password of its own"
            )
        password = derived_nats_password(self.secret_key.get_secret_value(), self.process)
        return BusCredentials(self.process, SecretStr(password))


class ReaderSettings(BusClientSettings):
    """The read-only tools (`meria events tail`, `meria website rebuild`): NATS user `reader`."""

    model_config = SettingsConfigDict(env_prefix="MERIA_READER_")
    process = "reader"


class InstallerSettings(BusClientSettings):
    """`meria init` and `meria municipality`: NATS user `installer`, which writes the
    municipality's profile and nothing else."""

    model_config = SettingsConfigDict(env_prefix="MERIA_INSTALLER_")
    process = "installer"


class BackupSettings(BusClientSettings):
    """`meria backup` and `meria restore`: NATS user `backup` (snapshots and restores of
    the streams), and where Temporal keeps its state."""

    model_config = SettingsConfigDict(env_prefix="MERIA_BACKUP_")
    process = "backup"

    # The Temporal dev server's SQLite file (default var/temporal.db), taken when it exists.
    temporal_sqlite: Path | None = None
    # A Temporal server on PostgreSQL: its databases (the default store and visibility),
    # as postgresql:// URLs, each taken with pg_dump.
    temporal_database_urls: list[str] = Field(default_factory=list)

    @property
    def temporal_file(self) -> Path:
        return self.temporal_sqlite or self.var_dir / "temporal.db"


def bus_credentials_of(user: str) -> BusCredentials:
    """NATS user `user`'s credentials, read as its own process reads them (the same
    variable, the same derivation), without that process's other settings: what the
    server's configuration needs of every user."""
    settings_class = type(
        f"{user.title()}BusClientSettings",
        (BusClientSettings,),
        {
            "__module__": __name__,
            "model_config": SettingsConfigDict(env_prefix=f"MERIA_{user.upper()}_"),
            "process": user,
        },
    )
    return load_settings(settings_class).bus_credentials()


class ServiceSettings(BusClientSettings):
    """A process with an HTTP port and a database of its own."""

    host: str = "127.0.0.1"
    port: int = Field(0, ge=0, le=65535)
    database_url: str = ""
    relay_poll_seconds: float = Field(1.0, gt=0)
    consumer_max_deliver: int = Field(5, ge=1)
    consumer_ack_wait_seconds: float = Field(30.0, gt=0)
    # How long a process waits, once on the bus, for a municipality's profile to be
    # installed (`meria municipality set FILE`) before it refuses to run.
    municipality_wait_seconds: float = shared(60.0, "municipality_wait_seconds", ge=0)

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


# Variables under the prefix that no process reads, and rightly so: the test harness's
# own (MERIA_TEST_DATABASE_URL, MERIA_TEST_ARTIFACTS, MERIA_TEST_HANDLER_PAUSE), which CI
# and developers export for pytest and which are set while the tests start processes.
EXEMPT_PREFIXES = ("MERIA_TEST_",)
# `MERIA_<NAME>_FILE`: the setting MERIA_<NAME> read from a file.
FILE_SUFFIX = "_FILE"


def variables_of(settings_class: type[Settings]) -> Iterator[str]:
    """Every `MERIA_*` environment variable one settings class reads."""
    prefix = str(settings_class.model_config.get("env_prefix", "")).upper()
    for field, info in settings_class.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names = [choice for choice in alias.choices if isinstance(choice, str)]
        elif isinstance(alias, str):
            names = [alias]
        else:
            names = [f"{prefix}{field}"]
        yield from (name.upper() for name in names if name.upper().startswith("MERIA_"))


def known_variables() -> frozenset[str]:
    """The variables of every process, so that one process's setting (say
    MERIA_PORTAL_PORT, exported for the whole stack) is no error in another."""
    # Imported here: the list of processes imports this module for its settings classes.
    from meria.processes import PROCESSES

    # The command line's own: the read-only bus tools, backup and restore, the installer.
    classes: list[type[Settings]] = [Settings, ReaderSettings, BackupSettings, InstallerSettings]
    classes += [spec.settings_class() for spec in PROCESSES.values()]
    return frozenset(name for settings_class in classes for name in variables_of(settings_class))


def check_variables(environ: Mapping[str, str]) -> None:
    """Refuse `MERIA_*` variables that no process reads, naming the closest known one."""
    known = known_variables()
    unknown = sorted(
        name
        for name in environ
        if name.upper().startswith("MERIA_")
        and not name.upper().startswith(EXEMPT_PREFIXES)
        and name.upper() not in known
        and name.upper().removesuffix(FILE_SUFFIX) not in known
    )
    if not unknown:
        return
    reasons = []
    for name in unknown:
        close = difflib.get_close_matches(name.upper(), known, n=1, cutoff=0.6)
        reasons.append(f"{name} (did you mean {close[0]}?)" if close else name)
    which = "setting" if len(unknown) == 1 else "settings"
    raise SettingsError(f"unknown {which} {', '.join(reasons)}: no Meria process reads it")


@contextlib.contextmanager
def settings_from_files(environ: MutableMapping[str, str]) -> Iterator[None]:
    """While settings are read: each MERIA_<NAME> given as MERIA_<NAME>_FILE holds that
    file's content. A file that cannot be read, or a value given both ways and
    differently, stops the process. The environment is as it was afterwards."""
    added: list[str] = []
    try:
        for name in [name for name in environ if name.upper().startswith("MERIA_")]:
            if not name.upper().endswith(FILE_SUFFIX) or name.upper().startswith(EXEMPT_PREFIXES):
                continue
            target = name[: -len(FILE_SUFFIX)]
            try:
                value = Path(environ[name]).read_text(encoding="utf-8").removesuffix("\n")
            except (OSError, UnicodeDecodeError) as error:
                reason = getattr(error, "strerror", None) or str(error)
                raise SettingsError(
                    f"invalid setting {name}: cannot read {environ[name]}: {reason}"
                ) from None
            if target in environ:
                if environ[target] != value:
                    raise SettingsError(f"{target} and {name} are both set; set one of them")
                continue
            environ[target] = value
            added.append(target)
        yield
    finally:
        for target in added:
            environ.pop(target, None)


def _environment(settings_class: type[Settings]) -> dict[str, str]:
    """The process's environment, with what the `.env` file adds, as pydantic-settings reads
    them."""
    found = dict(os.environ)
    env_file = settings_class.model_config.get("env_file")
    if isinstance(env_file, str | Path) and Path(env_file).is_file():
        found.update({key: value or "" for key, value in dotenv_values(env_file).items()})
    return found


def load_settings(settings_class: type[S], **overrides: Any) -> S:
    """Read settings from the environment, or raise SettingsError with a one-line reason."""
    try:
        with settings_from_files(os.environ):
            check_variables(_environment(settings_class))
            return settings_class(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        location = [str(part) for part in first["loc"]]
        field = location[0] if location else ""
        message = first["msg"].removeprefix("Value error, ")
        if field.upper() in known_variables():
            raise SettingsError(f"invalid setting {field.upper()}: {message}") from None
        if field and field in settings_class.model_fields:
            raise SettingsError(
                f"invalid setting {env_name(settings_class, field)}: {message}"
            ) from None
        raise SettingsError(f"invalid settings: {message}") from None
