"""Fault injection: the calls a test made fail or answer late (``BotApiSandbox.fail_next``)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass
from typing import Any

from sandbox.telegram.errors import ApiError

DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass
class Fault:
    method: str  # lower case: Telegram matches method names case-insensitively
    error_code: int | None
    description: str
    retry_after: int | None
    chat_id: int | str | None
    times: int
    stall: float | None


@dataclass
class RandomFaults:
    """A share of the calls to some methods fail at random (a seeded draw per call): a 429,
    a 500, or a stall past the client's timeout that then fails, in equal parts."""

    rate: float
    methods: frozenset[str]
    rng: random.Random
    stall: float
    count: int = 0

    def draw(self, method: str) -> Fault | None:
        if method.lower() not in self.methods or self.rng.random() >= self.rate:
            return None
        self.count += 1
        kind = self.rng.choice(("429", "500", "stall"))
        if kind == "429":
            return Fault(method, 429, "Too Many Requests: retry after 1", 1, None, 1, None)
        if kind == "500":
            return Fault(method, 500, DEFAULT_DESCRIPTIONS[500], None, None, 1, None)
        return Fault(method, 502, DEFAULT_DESCRIPTIONS[502], None, None, 1, self.stall)


class FaultPlan:
    """The faults a test queued; each valid call takes the first one that matches it."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self.random: RandomFaults | None = None

    def add(
        self,
        method: str,
        *,
        error_code: int | None,
        description: str | None,
        retry_after: int | None,
        chat_id: int | str | None,
        times: int,
        stall: float | None,
    ) -> None:
        if error_code is None and stall is None:
            raise ValueError("fail_next needs error_code, stall or both")
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = DEFAULT_DESCRIPTIONS.get(error_code or 0, f"Error {error_code}")
            if error_code == 429:
                description = f"Too Many Requests: retry after {retry_after}"
        self._faults.append(
            Fault(method.lower(), error_code, description, retry_after, chat_id, times, stall)
        )

    def take(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self._faults:
            if fault.method != method.lower() or fault.times <= 0:
                continue
            if fault.chat_id is not None and str(params.get("chat_id")) != str(fault.chat_id):
                continue
            fault.times -= 1
            return fault
        if self.random is not None:
            return self.random.draw(method)
        return None

    @staticmethod
    async def apply(fault: Fault, closing: asyncio.Event) -> None:
        """Stall (cut short when the emulator stops), then raise the error, if any."""
        if fault.stall:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closing.wait(), fault.stall)
        if fault.error_code is not None:
            raise ApiError(fault.error_code, fault.description, retry_after=fault.retry_after)
