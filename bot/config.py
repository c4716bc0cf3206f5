"""Configuration from the environment (prefix ``ZHUCUN_``) and an optional ``.env``."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from locales import N_

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/zhucun.db"
TELEGRAM_API_URL = "https://api.telegram.org"
DINGTALK_API_URL = "https://api.dingtalk.com"
# DingTalk's older API (file upload, contacts by mobile) lives on another host.
DINGTALK_OAPI_URL = "https://oapi.dingtalk.com"


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
    # SQLite backups (bot/backup.py): the folder (default: backups/ beside the database)
    # and how many to keep.
    backup_dir: str | None = None
    backup_keep: int = 14
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
    # DingTalk (bot/dingtalk/): an internal enterprise app whose robot is in Stream mode.
    dingtalk_client_id: str | None = None
    dingtalk_client_secret: SecretStr | None = None
    dingtalk_robot_code: str | None = None  # the robot's code; its app's client id if unset
    # The base of both the Stream gateway's connection request and the OpenAPI; the older
    # API follows it when it is not DingTalk's own (tests point both at one emulator).
    dingtalk_api_url: str = DINGTALK_API_URL
    dingtalk_oapi_url: str | None = None
    # A card template (DingTalk's card platform) with variables title, markdown and
    # buttons, whose buttons call back over Stream: buttons become interactive cards.
    # Without it, buttons are ActionCard links that send their answer as a message.
    dingtalk_card_template_id: str | None = None
    # Robot send limits (bot/dingtalk/runtime.py says where the defaults come from).
    dingtalk_per_chat_interval: float | None = None
    dingtalk_group_per_minute: int | None = None
    dingtalk_global_per_second: float | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            # A msgid: the command line shows it in its language (bot/cli.py).
            raise ValueError(N_("unknown time zone")) from exc
        return value

    @field_validator("backup_keep")
    @classmethod
    def _keep_one(cls, value: int) -> int:
        if value < 1:
            raise ValueError(N_("keep at least 1 backup"))
        return value

    @field_validator(
        "bot_token",
        "webhook_url",
        "webhook_secret",
        "webhook_path",
        "bot_username",
        "dingtalk_client_id",
        "dingtalk_client_secret",
        "dingtalk_robot_code",
        "dingtalk_oapi_url",
        "dingtalk_card_template_id",
        "backup_dir",
        mode="before",
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

    @property
    def dingtalk(self) -> bool:
        """DingTalk's credentials are set: ``zhucun run`` serves it."""
        return bool(self.dingtalk_client_id and self.dingtalk_client_secret)

    @property
    def dingtalk_secret(self) -> str | None:
        secret = self.dingtalk_client_secret
        return secret.get_secret_value() if secret else None

    @property
    def dingtalk_robot(self) -> str:
        return self.dingtalk_robot_code or self.dingtalk_client_id or ""

    @property
    def dingtalk_oapi(self) -> str:
        if self.dingtalk_oapi_url:
            return self.dingtalk_oapi_url.rstrip("/")
        base = self.dingtalk_api_url.rstrip("/")
        return DINGTALK_OAPI_URL if base == DINGTALK_API_URL else base
