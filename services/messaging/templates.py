"""The outbox's templates and the shape of their parameters.

A service enqueues a template name and a dict that is stored as JSON and rendered when the
message is sent, maybe after a restart, by another version. Each template's parameters are
declared as a TypedDict next to the service that builds them and registered here, so a
renderer, a builder and a test agree on one shape. The stored JSON is unchanged: a
TypedDict is a plain dict.

Checking is off in production, where a message must go out even if a parameter has drifted
(the renderer reads what it needs); the tests switch it on, so every message the suite
enqueues is checked against its declared shape as stored (after the JSON round trip).
"""

from __future__ import annotations

import importlib
import json
from types import UnionType
from typing import Any, TypedDict, Union, get_args, get_origin, get_type_hints, is_typeddict

# Modules declaring template shapes; imported on first use (they import the outbox).
SHAPE_MODULES: tuple[str, ...] = (
    "services.messaging.templates",
    "services.leave.plan",
    "services.leave.requests",
    "services.leave.approvals",
    "services.leave.sweeps",
    "services.presence.sheet_rows",
    "services.presence.days",
    "services.presence.sanctions",
    "services.presence.spot_checks",
    "services.presence.spot_check_decisions",
    "services.roster.by_mobile",
    "services.supervision.calendar_reminders",
    "services.supervision.monthly_check",
    "services.supervision.next_year_holidays",
    "services.supervision.recall",
    "services.supervision.team_reports",
    "services.supervision.training",
    "services.supervision.training_sweeps",
    "services.visits.records",
    "services.visits.sweeps",
)

_SHAPES: dict[str, type] = {}
checking = False


class TemplateShapeError(ValueError):
    """Parameters that do not match their template's declared shape."""


def declare(template: str, shape: type) -> None:
    if _SHAPES.get(template, shape) is not shape:
        raise ValueError(f"two shapes for outbox template {template!r}")
    _SHAPES[template] = shape


def shapes() -> dict[str, type]:
    for module in SHAPE_MODULES:
        importlib.import_module(module)
    return dict(_SHAPES)


def _mismatch(value: Any, kind: Any, where: str) -> str | None:
    """Where ``value`` (as JSON gave it back) does not fit ``kind``, or None."""
    origin, args = get_origin(kind), get_args(kind)
    if origin in (UnionType, Union):
        fits = [_mismatch(value, arg, where) for arg in args]
        return None if None in fits else f"{where}: {value!r} is none of {kind}"
    if is_typeddict(kind):
        if not isinstance(value, dict):
            return f"{where}: {value!r} is not an object"
        hints = get_type_hints(kind)
        missing = kind.__required_keys__ - value.keys()
        extra = value.keys() - hints.keys()
        if missing or extra:
            return f"{where}: missing {sorted(missing)}, unexpected {sorted(extra)}"
        for key, item in value.items():
            if (problem := _mismatch(item, hints[key], f"{where}.{key}")) is not None:
                return problem
        return None
    if origin is list:
        if not isinstance(value, list):
            return f"{where}: {value!r} is not a list"
        for n, item in enumerate(value):
            if (problem := _mismatch(item, args[0], f"{where}[{n}]")) is not None:
                return problem
        return None
    if kind is Any:
        return None
    if kind is type(None):
        return None if value is None else f"{where}: {value!r} is not null"
    # bool is an int to Python, not to a renderer that prints a number.
    if kind is int and isinstance(value, bool):
        return f"{where}: {value!r} is not an int"
    return None if isinstance(value, kind) else f"{where}: {value!r} is not {kind.__name__}"


def problems(template: str, params: dict[str, Any]) -> str | None:
    """What is wrong with ``params`` for ``template`` as stored, or None."""
    shape = shapes().get(template)
    if shape is None:
        return f"no shape declared for outbox template {template!r}"
    stored = json.loads(json.dumps(params, ensure_ascii=False, default=str))
    return _mismatch(stored, shape, template)


def check(template: str, params: dict[str, Any]) -> None:
    # A template with no shape is not checked here: the test that renders every registered
    # template fails on it instead (tests also enqueue made-up templates).
    if checking and template in shapes() and (problem := problems(template, params)):
        raise TemplateShapeError(problem)


class RetriedReply(TypedDict):
    """A reply already rendered in its reader's language, retried by the relay."""

    text: str
    buttons: list[list[list[str]]]


declare("reply", RetriedReply)
