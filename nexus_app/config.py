"""Settings from the environment (a `.env` file is read too). Every layer may import this."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    data_dir: Path = Field(default=Path("./data"), alias="NEXUS_DATA_DIR")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    llm_model: Path | None = Field(default=None, alias="NEXUS_LLM_MODEL")
    embed_model: str | None = Field(default=None, alias="NEXUS_EMBED_MODEL")
    environment: str = Field(default="production", alias="NEXUS_ENV")
    # Midtrans signs each payment notification with this key; without it the endpoint
    # refuses every notification (503). SecretStr keeps it out of logs and reprs.
    midtrans_server_key: SecretStr | None = Field(default=None, alias="NEXUS_MIDTRANS_SERVER_KEY")

    # The language model serves one generation at a time; at most this many more may wait in
    # line (beyond it a request falls back at once), and practice feedback waits at most this
    # many seconds for its turn before showing the item's stored explanation instead.
    llm_queue_max: int = Field(default=8, ge=0, alias="NEXUS_LLM_QUEUE_MAX")
    llm_feedback_wait_s: float = Field(default=20.0, gt=0, alias="NEXUS_LLM_FEEDBACK_WAIT")

    session_hours: int = 24
    login_max_failures: int = 5
    login_window_minutes: int = 15
    login_lock_minutes: int = 15

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'nexus.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
