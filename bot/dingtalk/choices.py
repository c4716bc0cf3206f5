"""DingTalk's buttons answered by typing: an ActionCard's button sends its answer as the
person's message, and typing its label or number does the same. Only the last message
with buttons is answered so; a flow message the person left for a command is remembered
apart, so that pressing its button later is told it has expired instead of not being
understood."""

from __future__ import annotations

from typing import Any

from bot.dingtalk.outgoing import Posted
from handlers.core.conversation import flow_messages
from handlers.core.events import Incoming, MessageRef
from handlers.core.views import sent_ids

CHOICES = "_choices"  # conversation data: the typed answers of the last message with buttons
ABANDONED = "_abandoned"  # conversation data: those of a flow message left for a command


def typed_press(text: str, stored: Any) -> tuple[str, MessageRef] | None:
    """The press a typed text stands for, when it answers the last message with buttons:
    the answer the message asked for, the button's label, or its number (from 1)."""
    if not isinstance(stored, dict) or not text:
        return None
    options = [o for o in stored.get("options") or [] if isinstance(o, list) and len(o) >= 2]
    said = text.strip().lower()
    labels = [str(o[2]).strip().lower() if len(o) > 2 else "" for o in options]
    for n, option in enumerate(options):
        typed, payload = str(option[0]).strip().lower(), str(option[1])
        label_matches = labels[n] == said and labels.count(said) == 1
        if said == typed or label_matches or said == str(n + 1):
            payloads = tuple(str(o[1]) for o in options)
            ref = MessageRef(str(stored.get("id", "")), payloads=payloads, from_bot=True)
            return payload, ref
    return None


def stored_choices(posted: Posted) -> dict[str, Any] | None:
    """What the conversation keeps of a message's buttons, for ``typed_press``."""
    if not posted.choices:
        return None
    return {
        "id": posted.message_id,
        "options": [[c.typed, c.payload, c.label] for c in posted.choices],
    }


def abandoned_press(text: str, stored: Any) -> tuple[str, MessageRef] | None:
    """The press a text stands for when it is exactly a button's answer on the flow message
    the person left (not its number or label: those are for the last message only)."""
    if not isinstance(stored, dict) or not text:
        return None
    said = text.strip().lower()
    for option in stored.get("options") or []:
        if isinstance(option, list) and len(option) >= 2 and str(option[0]).lower() == said:
            ref = MessageRef(str(stored.get("id", "")), payloads=(str(option[1]),), from_bot=True)
            return str(option[1]), ref
    return None


def left_flow(before: dict[str, Any], event: Incoming) -> dict[str, Any] | None:
    """The typed answers of the flow message a command leaves, if the last message with
    buttons was one (``before``: the conversation's data before the command)."""
    last = before.get(CHOICES)
    if event.command is None or not isinstance(last, dict):
        return None
    flows = {v for k, v in sent_ids(before).items() if k in flow_messages()}
    return last if str(last.get("id", "")) in flows else None
