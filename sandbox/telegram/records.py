"""What the emulator records: the bot's calls, uploaded and stored files, callback queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class UploadedFile:
    """One multipart file part of a request."""

    name: str
    filename: str
    content_type: str
    content: bytes


@dataclass
class RecordedCall:
    """One request the bot made, with what the sandbox answered."""

    method: str
    params: dict[str, Any]
    raw_params: dict[str, Any]
    files: dict[str, UploadedFile]
    at: float
    via: str = "http"
    status: int | None = None
    response: dict[str, Any] | None = None
    violations: list[str] = field(default_factory=list)
    limited_by: str | None = None  # which flood limit refused it (enforce_rate_limits)

    @property
    def done(self) -> bool:
        return self.response is not None

    @property
    def ok(self) -> bool:
        return bool(self.response and self.response.get("ok"))

    @property
    def result(self) -> Any:
        return self.response.get("result") if self.response else None


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes | None
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def file_size(self) -> int | None:
        return None if self.content is None else len(self.content)


@dataclass
class CallbackRecord:
    """A callback query a fake user caused, and the bot's answer to it."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False
    answer: dict[str, Any] | None = None
