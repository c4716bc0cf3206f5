"""Configuration from the environment (prefix ``ZHUCUN_``) and an optional ``.env``."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/zhucun.db"
TELEGRAM_API_URL = "https://api.telegram.org"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ZHUCUN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: SecretStr | None = None
    bot_username: str | None = None
    bot_api_url: str = TELEGRAM_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    policy: str = "ganzhou-2021"
    timezone: str = "Asia/Shanghai"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # Where the webhook server listens (bot/telegram/webhook.py); the path defaults to the URL's.
    webhook_host: str = "0.0.0.0"
    webhook_port: int = 8080
    webhook_path: str | None = None
    log_level: str = "INFO"
    # The outbox relay's pacing (bot/relay/settings.py, RelaySettings): None keeps its default.
    relay_per_chat_interval: float | None = None
    relay_group_per_minute: int | None = None
    relay_global_per_second: float | None = None
    relay_poll_interval: float | None = None
    relay_lease_seconds: float | None = None
    relay_request_timeout: float | None = None
    relay_max_backoff: float | None = None
    relay_max_attempts: int | None = None
    relay_max_in_flight: int | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator(
        "bot_token", "webhook_url", "webhook_secret", "webhook_path", "bot_username", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def token(self) -> str | None:
        return self.bot_token.get_secret_value() if self.bot_token else None
