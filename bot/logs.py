"""Logging for every command: the configured level, and no secret or phone number in any
line at any level.

Third-party libraries log what they see (aiogram and aiohttp at DEBUG log request URLs,
which hold the bot token; websockets logs its frames), so redaction cannot rely on our own
log calls being careful: it is installed in the record factory, where every record of every
logger passes, before any handler (ours, or a test's) formats it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Mainland mobile numbers, not inside a longer run of digits (an id, a timestamp).
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
PHONE_MASK = "1**********"
SECRET_MASK = "[redacted]"


def level_of(name: str) -> int:
    """``ZHUCUN_LOG_LEVEL``'s value as a level (INFO when it names none)."""
    level = logging.getLevelName(name.strip().upper())
    return level if isinstance(level, int) else logging.INFO


class Redactor(logging.Filter):
    """Masks the given secrets and every mainland mobile number in a record: its message
    (formatted with its arguments first) and its exception text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is masked whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, SECRET_MASK)
        return PHONE.sub(PHONE_MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it for the handler to report
            return True
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_installed: Redactor | None = None
_base_factory: Callable[..., logging.LogRecord] | None = None


def install_redaction(secrets: Iterable[str]) -> Redactor:
    """Redact every record created from now on (replacing an earlier installation)."""
    global _installed, _base_factory
    if _base_factory is None:
        _base_factory = logging.getLogRecordFactory()
    base = _base_factory
    redactor = Redactor(secrets)

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        redactor.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = redactor
    return redactor


def uninstall_redaction() -> None:
    global _installed, _base_factory
    if _base_factory is not None:
        logging.setLogRecordFactory(_base_factory)
    _installed, _base_factory = None, None


def secrets_of(settings: Any) -> list[str]:
    """The configured secrets: the bot token (and its secret half, which appears alone in
    some URLs), the DingTalk client secret, the webhook's secret."""
    out = []
    token = settings.token
    if token:
        out += [token, token.partition(":")[2]]
    for name in ("dingtalk_client_secret", "webhook_secret"):
        value = getattr(settings, name, None)
        if value is not None:
            out.append(value.get_secret_value())
    return out


# Loggers whose DEBUG lines hold personal data whatever we mask: aiosqlite logs every
# query with its parameters (people's and households' names, notes, phone numbers).
PERSONAL_AT_DEBUG = ("aiosqlite",)


def protect(settings: Any) -> None:
    """Redaction of the configured secrets and of phone numbers in every record, and the
    loggers that would log personal data kept above DEBUG."""
    for name in PERSONAL_AT_DEBUG:
        logging.getLogger(name).setLevel(logging.INFO)
    install_redaction(secrets_of(settings))


def configure(settings: Any) -> None:
    """What every command does first: the configured level, and protection."""
    logging.basicConfig(level=level_of(settings.log_level), format=FORMAT)
    # Migrations announce themselves at INFO; a command line only wants its own output.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    protect(settings)
