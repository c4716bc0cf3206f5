"""How outbox messages look: one renderer per template, in the recipient's language.

Services enqueue a template name and plain parameters; the relay calls ``render`` when it
sends, so a message reads in the language its recipient chose, not the sender's.
Feature modules register their renderers with ``@notice("template.name")``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from handlers.core.views import Button, Keyboard
from locales import N_, Translator


@dataclass(frozen=True)
class Rendered:
    text: str
    buttons: Keyboard = ()


Renderer = Callable[[Translator, dict[str, Any]], Rendered]
_RENDERERS: dict[str, Renderer] = {}
# Delivery by importance. A send that may or may not have arrived (no answer in time, the
# relay died mid-request) is sent again: cards, decisions and reminders must arrive, and a
# duplicate of them is harmless (a decision is idempotent; a decided card answers that it
# was handled). Only templates registered ``at_most_once`` are given up instead, where a
# duplicate would mislead.
_AT_MOST_ONCE: set[str] = set()

# Modules holding @notice renderers; imported on first use.
NOTICE_MODULES: tuple[str, ...] = (
    "handlers.account.notices",
    "handlers.leave.notices",
    "handlers.visits.notices",
    "handlers.presence.notices",
    "handlers.supervision.schedule_notices",
    "handlers.visits.due_notices",
    "handlers.supervision.monthly_check_notices",
)


def notice(template: str, *, at_most_once: bool = False) -> Callable[[Renderer], Renderer]:
    def register(fn: Renderer) -> Renderer:
        if template in _RENDERERS and _RENDERERS[template] is not fn:
            raise ValueError(f"two renderers for outbox template {template!r}")
        _RENDERERS[template] = fn
        if at_most_once:
            _AT_MOST_ONCE.add(template)
        return fn

    return register


def _load() -> None:
    for module in NOTICE_MODULES:
        importlib.import_module(module)


def render(template: str, t: Translator, params: dict[str, Any]) -> Rendered:
    """The message for an outbox row. KeyError for a template nobody renders."""
    if template not in _RENDERERS:
        _load()
    return _RENDERERS[template](t, params)


def templates() -> set[str]:
    _load()
    return set(_RENDERERS)


def at_most_once() -> frozenset[str]:
    """The templates given up when a send is unsure (see ``_AT_MOST_ONCE``)."""
    _load()
    return frozenset(_AT_MOST_ONCE)


def resend_when_unsure(template: str) -> bool:
    return template not in at_most_once()


RESENT = N_("(sent again)")


# At least once, like a card: a confirmation the person never gets leaves them unsure
# whether anything was saved. A reply the relay sends says it is a late one, so that one
# arriving twice (its first send was cut off unanswered) reads as the same confirmation
# again, not as a second visit saved.
@notice("reply")
def _retried_reply(t: Translator, params: dict[str, Any]) -> Rendered:
    """A reply that could not be sent right after its update's commit, retried (already
    in the person's language: it was rendered for them then)."""
    buttons = tuple(
        tuple(Button(label, payload) for label, payload in row) for row in params["buttons"]
    )
    return Rendered(f"{t(RESENT)} {params['text']}", buttons)
