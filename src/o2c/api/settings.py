"""The API's settings, read once from the environment (``O2C_*``) or a ``.env`` file."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from o2c.store.database import DEFAULT_URL


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="O2C_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_URL
    max_body_bytes: int = 1_048_576  # larger request bodies are refused with 413
    page_limit_max: int = 200  # the most items one page of a list may hold
    rate_per_second: float = 200.0  # sustained requests per client (token or address); 0 = unlimited
    rate_burst: int = 400
    login_attempts: int = 5  # failed logins per username and address within the window
    login_attempts_per_address: int = 20  # failed logins per address, whatever the usernames
    login_window_seconds: int = 300
    login_token_hours: int = 12  # lifetime of a token issued by POST /auth/token
