"""Flood control: someone sending far more than a person types is slowed before any
database work, and told so once per flood, politely.

A token bucket per sender (channel and user id): ``burst`` messages at once, then
``per_second`` on average. An update over the limit is dropped before it opens a
transaction; the first one dropped in a flood gets a one-line answer, the rest nothing,
until the sender's bucket has refilled. Everyone else's updates go through untouched.
In memory, per process: a flood is a burst of seconds, and each replica slows what it sees.

Time passes for the bucket by the bot's clock or by the sender's, whichever shows more:
after the bot was down, a busy approver's backlog of decisions typed over minutes arrives
in one burst, and their timestamps (the messenger's) say it is not a flood; a flood is
fast by both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from locales import N_

SLOW_DOWN = N_("You are sending messages too fast. Please wait a moment, then send again.")

# A person types a message every few seconds; a forwarded batch of photos or a fast
# typist may send a dozen at once. 50 a second is a script.
BURST = 20
PER_SECOND = 2.0
MAX_SENDERS = 100_000  # forget the oldest beyond this many (strangers cycling ids)


@dataclass
class _Bucket:
    tokens: float
    at: float  # the bot's clock at the last update
    sent: float | None = None  # the sender's timestamp of the latest one
    warned: bool = False


class FloodGate:
    def __init__(self, burst: int = BURST, per_second: float = PER_SECOND) -> None:
        self.burst = burst
        self.per_second = per_second
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def check(
        self, channel: str, user: str, sent: float | None = None, *, now: float | None = None
    ) -> tuple[bool, bool]:
        """(let it through, tell them to slow down now). ``sent``: when the sender sent
        it, the messenger's timestamp in seconds (None for a press: it has none); ``now``:
        the bot's clock (monotonic), default the present."""
        now = time.monotonic() if now is None else now
        key = (channel, user)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_SENDERS:
                self._buckets.pop(next(iter(self._buckets)))
            bucket = self._buckets[key] = _Bucket(float(self.burst), now, sent)
        elapsed = now - bucket.at
        if sent is not None and bucket.sent is not None:
            elapsed = max(elapsed, sent - bucket.sent)
        bucket.tokens = min(self.burst, bucket.tokens + max(0.0, elapsed) * self.per_second)
        bucket.at = now
        if sent is not None:
            # Timestamps of one sender may come a little out of order: keep the latest.
            bucket.sent = sent if bucket.sent is None else max(bucket.sent, sent)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            if bucket.tokens >= self.burst / 2:
                bucket.warned = False  # calm again: a later flood is told again
            return True, False
        warn = not bucket.warned
        bucket.warned = True
        return False, warn
