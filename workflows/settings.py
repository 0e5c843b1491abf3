"""Settings of the workflow worker (`MERIA_WORKER_*`)."""

from datetime import date

from pydantic import Field
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
