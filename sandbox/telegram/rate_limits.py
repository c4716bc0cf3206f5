"""Telegram's flood limits, enforced once a test calls ``BotApiSandbox.enforce_rate_limits``."""

from __future__ import annotations

import asyncio
import math
from collections import deque
from dataclasses import dataclass

from sandbox.telegram.chats import Chat, FakeGroup
from sandbox.telegram.records import RecordedCall

# Methods that post a message, which is what Telegram's flood limits count.
SENDING_METHODS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "sendLocation", "copyMessage", "forwardMessage"}
)


@dataclass(frozen=True)
class RateLimits:
    """Telegram's flood limits as the sandbox enforces them (see ``enforce_rate_limits``)."""

    per_chat_per_second: int = 1
    group_per_minute: int = 20
    global_per_second: int = 30


class FloodWindows:
    """The sends accepted lately, overall and per chat, measured on the event loop's clock."""

    def __init__(self) -> None:
        self._recent_sends: deque[float] = deque()
        self._recent_by_chat: dict[int, deque[float]] = {}

    def admit(self, call: RecordedCall, chat: Chat | None, limits: RateLimits) -> int | None:
        """Count the send and return None, or refuse it: the ``retry_after`` to answer, with
        the limit that refused it named in ``call.limited_by``."""
        now = asyncio.get_running_loop().time()
        windows: list[tuple[str, deque[float], float, int]] = [
            ("global", self._recent_sends, 1.0, limits.global_per_second)
        ]
        if chat is not None:
            recent = self._recent_by_chat.setdefault(chat.id, deque())
            windows.append(("chat", recent, 1.0, limits.per_chat_per_second))
            if isinstance(chat, FakeGroup):
                windows.append(("group", recent, 60.0, limits.group_per_minute))
        for _, times, _, _ in windows:
            keep = 1.0 if times is self._recent_sends else 60.0
            while times and times[0] <= now - keep:
                times.popleft()  # older than any window that deque serves
        wait = 0.0
        for name, times, span, limit in windows:
            inside = [t for t in times if t > now - span]
            if len(inside) >= limit and inside[-limit] + span - now > wait:
                wait = inside[-limit] + span - now
                call.limited_by = name
        if wait > 0:
            return max(1, math.ceil(wait))
        self._recent_sends.append(now)
        if chat is not None:
            self._recent_by_chat[chat.id].append(now)
        return None
