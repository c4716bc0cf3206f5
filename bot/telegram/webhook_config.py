"""Webhook mode's settings: the URL Telegram posts to, where this server listens, and the
secret each post must carry. Checked before anything starts, with one line for the
operator when they cannot work."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from locales import N_

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_HOST = "0.0.0.0"  # every interface: a server in a container
DEFAULT_PORT = 8080

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
NO_SECRET = N_(
    "ZHUCUN_WEBHOOK_SECRET is not set: webhook mode needs a secret of 1-256 characters "
    "A-Z a-z 0-9 _ - (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
)
BAD_SECRET = N_(
    "ZHUCUN_WEBHOOK_SECRET may hold only A-Z a-z 0-9 _ - and be 1-256 characters long "
    "(Telegram's rule for secret_token)"
)
BAD_URL = N_("ZHUCUN_WEBHOOK_URL must be a full URL, such as https://bot.example.org/telegram")


class WebhookConfigError(ValueError):
    """The webhook settings cannot work: one line for the operator, a msgid and its
    parameters (the command line says it in its language; ``str`` is the English)."""

    def __init__(self, message: str, /, **params: object) -> None:
        super().__init__(message.format(**params))
        self.message = message
        self.params = params


@dataclass(frozen=True)
class WebhookConfig:
    url: str  # what Telegram posts to (the public URL, maybe a load balancer's)
    secret: str
    path: str  # what this server listens on (the URL's path unless told otherwise)
    host: str
    port: int

    @classmethod
    def from_settings(
        cls, settings: Any, *, host: str | None = None, port: int | None = None
    ) -> WebhookConfig:
        """From ``ZHUCUN_WEBHOOK_URL``/``_SECRET`` and, when set, ``ZHUCUN_WEBHOOK_HOST``,
        ``_PORT`` and ``_PATH``; ``host`` and ``port`` given here win."""
        url = (getattr(settings, "webhook_url", None) or "").strip()
        parsed = urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise WebhookConfigError(BAD_URL)
        raw_secret = getattr(settings, "webhook_secret", None)
        secret = raw_secret.get_secret_value() if raw_secret is not None else ""
        if not secret:
            raise WebhookConfigError(NO_SECRET)
        if not _SECRET.fullmatch(secret):
            raise WebhookConfigError(BAD_SECRET)
        path = getattr(settings, "webhook_path", None) or parsed.path or "/"
        if not path.startswith("/"):
            path = "/" + path
        if host is None:
            host = getattr(settings, "webhook_host", None) or DEFAULT_HOST
        if port is None:
            configured = getattr(settings, "webhook_port", None)
            port = DEFAULT_PORT if configured is None else int(configured)
        if not 0 <= port <= 65535:
            raise WebhookConfigError(
                N_("ZHUCUN_WEBHOOK_PORT must be 0-65535, not {port}"), port=port
            )
        return cls(url=url, secret=secret, path=path, host=host, port=port)


def secret_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison of the header with the secret. On bytes: a header with
    characters outside ASCII is simply wrong (``compare_digest`` on str would raise)."""
    if not given:
        return False
    return hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape")
    )
