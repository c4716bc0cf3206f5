"""Typed button payloads: a prefix and short fields, ``lvd:ok:12``.

The format is the one aiogram's CallbackData used before the core existed, so buttons
already sitting in people's chats keep working after an upgrade. Payloads carry short ids
only (Telegram allows 64 bytes); the server re-checks everything a press claims.
"""

from __future__ import annotations

import dataclasses
import typing
from enum import Enum
from functools import cache
from typing import Any, ClassVar, Self

SEPARATOR = ":"
MAX_BYTES = 64
# Ids are database keys or small indexes: a forged press must not carry a number that
# overflows a query parameter or a date computation. The keys are INTEGER columns, 32 bits
# on PostgreSQL (SQLite's are 64): beyond 2**31 - 1 asyncpg refuses the parameter.
INT_LIMIT = 2**31
_PREFIXES: dict[str, type[Payload]] = {}


class Payload:
    """Subclass as a frozen dataclass: ``class LeaveOwn(Payload, prefix="lvo")``."""

    prefix: ClassVar[str]

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if SEPARATOR in prefix:
            raise ValueError(f"payload prefix {prefix!r} holds the separator")
        known = _PREFIXES.get(prefix)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise ValueError(f"payload prefix {prefix!r} taken by {known.__qualname__}")
        _PREFIXES[prefix] = cls
        cls.prefix = prefix

    def pack(self) -> str:
        parts = [self.prefix]
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            text = _encode(value)
            if SEPARATOR in text:
                raise ValueError(f"{f.name}={value!r} holds the separator")
            parts.append(text)
        packed = SEPARATOR.join(parts)
        if len(packed.encode()) > MAX_BYTES:
            raise ValueError(f"payload {packed!r} is over {MAX_BYTES} bytes")
        return packed

    @classmethod
    def matches(cls, data: str | None) -> bool:
        return data is not None and data.startswith(cls.prefix + SEPARATOR)

    @classmethod
    def unpack(cls, data: str | None) -> Self | None:
        """The payload, or None when the data is not this type's or does not parse (a
        forged or outdated button is refused the same way as an unknown one)."""
        if not cls.matches(data):
            return None
        assert data is not None
        _, *parts = data.split(SEPARATOR)
        names = _fields(cls)  # type: ignore[arg-type]
        if len(parts) != len(names):
            return None
        values = {}
        for (name, kind), text in zip(names, parts, strict=True):
            try:
                values[name] = _decode(kind, text)
            except (TypeError, ValueError):
                return None
        return cls(**values)


def _encode(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return str(int(value))
    return str(value)


def _decode(kind: Any, text: str) -> Any:
    if kind is bool:
        return text not in ("", "0")
    if kind is int:
        # Only plain decimal digits: int() would also take " 1", "+1", "-1" and "1_000".
        if not (text.isascii() and text.isdigit()) or len(text) > 19:
            raise ValueError(text)
        number = int(text)
        if number >= INT_LIMIT:
            raise ValueError(text)
        return number
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(text)
    return text


@cache
def _fields(cls: type) -> tuple[tuple[str, Any], ...]:
    hints = typing.get_type_hints(cls)
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))
