"""The emulator's errors: a Bot API error answer, and a test helper that gave up waiting."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer, shaped like Telegram's ``{"ok": false, ...}`` body."""

    def __init__(
        self,
        code: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            out["parameters"] = {"retry_after": self.retry_after}
        if self.migrate_to_chat_id is not None:
            out["parameters"] = {"migrate_to_chat_id": self.migrate_to_chat_id}
        return out


class SandboxTimeout(AssertionError):
    """A ``wait_for_*`` helper gave up; the message says what was there instead."""
