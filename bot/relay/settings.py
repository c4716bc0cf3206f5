"""How the relay paces and retries, and what it counted."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import timedelta

from services.messaging.pacing import Limits


@dataclass(frozen=True)
class RelaySettings:
    """How the relay paces and retries. From ``ZHUCUN_RELAY_*`` settings when present."""

    per_chat_interval: float = 1.0  # seconds between two messages to one chat
    group_per_minute: int = 20  # messages to one group per minute
    global_per_second: float = 29.0  # all messages, under Telegram's 30
    poll_interval: float = 1.0  # seconds between looks for due rows when nobody wakes us
    lease_seconds: float = 60.0  # how long a claimed or in-flight row stays ours
    request_timeout: float = 10.0  # no answer by then: the send is uncertain
    max_backoff: float = 300.0  # longest wait between retries of a 5xx or network error
    max_attempts: int = 25  # then a row failing with 5xx/network errors is dead
    max_in_flight: int = 32  # concurrent requests (Telegram answers in ~0.1-0.5 s)

    def __post_init__(self) -> None:
        if self.lease_seconds <= self.request_timeout:
            # An in-flight row whose lease ran out would be declared abandoned (uncertain)
            # while its request might still be answered.
            raise ValueError("relay lease_seconds must exceed request_timeout")
        if self.poll_interval <= 0 or self.max_in_flight < 1 or self.max_attempts < 1:
            raise ValueError("relay poll_interval, max_in_flight and max_attempts must be > 0")

    @classmethod
    def from_settings(cls, settings: object) -> RelaySettings:
        """Reads ``settings.relay_<field>`` for each field that exists there."""
        given = {
            f.name: getattr(settings, f"relay_{f.name}")
            for f in fields(cls)
            if getattr(settings, f"relay_{f.name}", None) is not None
        }
        return cls(**given)

    @property
    def limits(self) -> Limits:
        return Limits(self.per_chat_interval, self.group_per_minute, self.global_per_second)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    @property
    def max_held(self) -> int:
        """Rows held at once: about half a lease's worth of sending."""
        return max(50, math.ceil(self.global_per_second * self.lease_seconds / 2))

    @property
    def claim_batch(self) -> int:
        """Rows per claim: about five seconds' worth, so that turning them into queue
        entries never holds up the event loop the sends are paced on."""
        return max(20, math.ceil(self.global_per_second * 5))

    @property
    def per_chat_claim(self) -> int:
        """Rows of one private chat taken per claim: what it can send in half a lease."""
        if self.per_chat_interval <= 0:
            return 0
        return max(1, min(self.max_held, int(self.lease_seconds / 2 / self.per_chat_interval)))

    @property
    def per_group_claim(self) -> int:
        return max(1, int(self.group_per_minute * self.lease_seconds / 2 / 60))

    def backoff(self, attempts: int) -> float:
        """The wait before the next try of a row whose ``attempts``-th attempt failed."""
        return min(self.max_backoff, 2.0 ** (attempts - 1))


@dataclass
class RelayCounts:
    """Outcomes recorded, for logs, tests and the benchmark."""

    sent: int = 0
    retried: int = 0
    dead: int = 0
    uncertain: int = 0

    def minus(self, other: RelayCounts) -> RelayCounts:
        return RelayCounts(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))
