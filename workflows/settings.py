"""Settings of the workflow worker (`MERIA_WORKER_*`)."""

from pydantic_settings import SettingsConfigDict

from meria.config import ServiceSettings


class WorkerSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MERIA_WORKER_")
    process = "worker"

    port: int = 8105
