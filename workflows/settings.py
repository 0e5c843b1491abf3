"""Settings of the workflow worker (`MERIA_WORKER_*`)."""

from __future__ import annotations

from datetime import date

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from meria.config import ServiceSettings


class WorkerSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MERIA_WORKER_")
    process = "worker"

    port: int = 8105

    # The monthly press digest: compiled on the first working day of each month at this
    # hour (Tbilisi), skipping Georgia's public holidays and these extra days off
    # (MERIA_WORKER_DIGEST_EXTRA_DAYS_OFF='["2027-01-03"]'); created in publishing in the
    # name of this account (an editor); its PDF set in these fonts (Noto, with Georgian).
    digest_schedule: bool = True
    digest_hour: int = Field(10, ge=0, le=23)
    digest_extra_days_off: list[date] = Field(default_factory=list)
    digest_author: str = "meria-digest"
    digest_fonts: str = "/usr/share/fonts/truetype/noto"

    # How long an activity waits on each stage of a call to a service (seconds), and after
    # how many failures in a row the worker stops calling a service for a while.
    service_connect_timeout_seconds: float = Field(5.0, gt=0, le=60)
    service_read_timeout_seconds: float = Field(20.0, gt=0, le=300)
    service_write_timeout_seconds: float = Field(20.0, gt=0, le=300)
    service_pool_timeout_seconds: float = Field(5.0, gt=0, le=60)
    breaker_failures: int = Field(3, ge=1, le=100)
    breaker_open_seconds: float = Field(30.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _request_outlives_no_token(self) -> WorkerSettings:
        # A request is made with a token of five minutes (meria.auth.service_token); it
        # must be on the wire, pool wait and connection included, well before that ends.
        sending = (
            self.service_pool_timeout_seconds
            + self.service_connect_timeout_seconds
            + self.service_write_timeout_seconds
        )
        if sending > 240:
            raise ValueError(
                "MERIA_WORKER_SERVICE_POOL/CONNECT/WRITE_TIMEOUT_SECONDS add up to more than "
                "240 s: a request could go out with its token expired"
            )
        return self
