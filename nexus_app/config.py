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
    # Ask Midtrans's status API for the truth before acting on a notification. Off by
    # default: many school servers have no internet; the signed notification is then used.
    midtrans_status_api: bool = Field(default=False, alias="NEXUS_MIDTRANS_STATUS_API")
    # https://api.sandbox.midtrans.com for sandbox keys.
    midtrans_api_url: str = Field(
        default="https://api.midtrans.com", alias="NEXUS_MIDTRANS_API_URL"
    )
    # Other sites (origins such as https://portal.sekolah.sch.id) whose pages may call this
    # server from the browser; comma-separated. Empty: the server's own pages only.
    allowed_origins: str = Field(default="", alias="NEXUS_ALLOWED_ORIGINS")

    # The language model serves one generation at a time; at most this many more may wait in
    # line (beyond it a request falls back at once), and practice feedback waits at most this
    # many seconds for its turn before showing the item's stored explanation instead.
    llm_queue_max: int = Field(default=8, ge=0, alias="NEXUS_LLM_QUEUE_MAX")
    llm_feedback_wait_s: float = Field(default=20.0, gt=0, alias="NEXUS_LLM_FEEDBACK_WAIT")
    # Threads the language model computes with (llama.cpp). Unset: 2 on a quiet machine, 1 while
    # the load average says the cores are busy (nexus_app/ai/llm/local.py).
    llm_threads: int | None = Field(default=None, ge=1, alias="NEXUS_LLM_THREADS")
    # How much lower the model's CPU priority is than the app's (nice steps, 0: the same):
    # answers and page events take the cores first, the model the time they leave.
    llm_nice: int = Field(default=10, ge=0, le=19, alias="NEXUS_LLM_NICE")
    # Whether the tutor lets the model write a one-sentence lead-in above the book's quote.
    # Off: the packaged 0.5B model's lead-ins passed the check for one answer in ten, and one
    # of four shown was a wrong claim built from a book sentence's words (docs/benchmarks.md).
    # A school with a larger model can measure it again and switch it on.
    tutor_lead_in: bool = Field(default=False, alias="NEXUS_TUTOR_LEAD_IN")

    # A session ends `session_hours` after its last use, and in any case `session_max_days`
    # after the login that made it.
    session_hours: int = 24
    session_max_days: int = 7

    # Login throttling (docs/security.md). Failures are counted per (username, client) and
    # per client over `login_window_minutes`; a client that has not failed is never locked
    # out of an account by what other clients did.
    login_max_failures: int = 5  # per username from one client: then growing waits
    login_window_minutes: int = 15
    login_lock_minutes: int = 15  # the longest wait
    login_user_max_failures: int = 20  # per username from all clients together
    login_ip_max_failures: int = 30  # per client across usernames (password spraying)
    login_global_max_failures_per_minute: int = 100  # the whole server (argon2 CPU)
    login_attempts_keep_days: int = 30
    # Reverse proxies whose X-Forwarded-For is believed (comma-separated IPs or networks,
    # e.g. "127.0.0.1, 10.0.0.0/8"). Empty: the socket's peer address is the client.
    trusted_proxies: str = Field(default="", alias="NEXUS_TRUSTED_PROXIES")

    @property
    def allowed_origin_list(self) -> tuple[str, ...]:
        return parse_origins(self.allowed_origins)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'nexus.db').resolve()}"


def parse_origins(value: str) -> tuple[str, ...]:
    """ "https://a.example, http://b:3000/" -> ("https://a.example", "http://b:3000")."""
    return tuple(
        part.strip().rstrip("/") for part in (value or "").split(",") if part.strip().strip("/")
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
