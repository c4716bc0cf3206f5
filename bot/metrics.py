"""A tiny in-process metrics registry, exposed in the Prometheus text format (0.0.4).

Only what ``/metrics`` of the webhook server needs: counters and gauges without labels,
rendered with their ``# HELP`` and ``# TYPE`` lines. Values that live in the database (the
outbox backlog) are read at scrape time and handed to :meth:`Registry.render` as extra
samples, so a replica that cannot reach the database still answers with what it knows.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Kind = Literal["counter", "gauge"]


@dataclass(frozen=True)
class Sample:
    """One metric and its value, as it is rendered."""

    name: str
    kind: Kind
    help: str
    value: float


class Counter:
    """A value that only goes up (reset when the process restarts)."""

    def __init__(self, name: str, help: str) -> None:
        if not name.endswith("_total"):
            raise ValueError(f"counter {name!r} must end in _total")
        self.name = name
        self.help = help
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        if amount < 0:
            raise ValueError("a counter only goes up")
        self.value += amount

    def sample(self) -> Sample:
        return Sample(self.name, "counter", self.help, self.value)


class Gauge:
    """A value that goes up and down."""

    def __init__(self, name: str, help: str) -> None:
        self.name = name
        self.help = help
        self.value = 0.0

    def set(self, value: float) -> None:
        self.value = value

    def sample(self) -> Sample:
        return Sample(self.name, "gauge", self.help, self.value)


class Registry:
    """The process's metrics, in the order they were made."""

    def __init__(self) -> None:
        self._metrics: dict[str, Counter | Gauge] = {}

    def counter(self, name: str, help: str) -> Counter:
        return self._add(Counter(name, help))

    def gauge(self, name: str, help: str) -> Gauge:
        return self._add(Gauge(name, help))

    def _add(self, metric: Any) -> Any:
        if metric.name in self._metrics:
            raise ValueError(f"metric {metric.name!r} is already registered")
        self._metrics[metric.name] = metric
        return metric

    def render(self, extra: Iterable[Sample] = ()) -> str:
        """The exposition text: every registered metric, then ``extra``."""
        lines: list[str] = []
        for s in [*(m.sample() for m in self._metrics.values()), *extra]:
            lines.append(f"# HELP {s.name} {_escape_help(s.help)}")
            lines.append(f"# TYPE {s.name} {s.kind}")
            lines.append(f"{s.name} {_format_value(s.value)}")
        return "\n".join(lines) + "\n"


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


class UpdateMetrics:
    """What the bot counts about updates: handled, failed, and webhook posts refused."""

    def __init__(self, registry: Registry) -> None:
        self.handled = registry.counter(
            "zhucun_updates_handled_total",
            "Updates this process took through the dispatcher to the end (a re-delivered "
            "update skipped by the inbox counts too).",
        )
        self.errors = registry.counter(
            "zhucun_update_errors_total",
            "Updates whose handling raised an error (reported to the person, rolled back).",
        )
        self.unauthorized = registry.counter(
            "zhucun_webhook_unauthorized_total",
            "Webhook posts refused for a missing or wrong secret token.",
        )

    def install(self, dp: Dispatcher) -> None:
        """Count every error the dispatcher's error handlers see (they see them all)."""
        dp.errors.outer_middleware(_CountErrors(self))


class _CountErrors(BaseMiddleware):
    def __init__(self, metrics: UpdateMetrics) -> None:
        self.metrics = metrics

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self.metrics.errors.inc()
        return await handler(event, data)
