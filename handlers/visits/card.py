"""The /visit form as a chat message: its draft (kept in the conversation's data), its text
and its buttons, and the typed payload the buttons carry (short ids only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from handlers.core.payloads import Payload
from handlers.core.views import Button, Keyboard, rows_of
from handlers.visits.views import (
    CHECK_LABELS,
    MODE_LABELS,
    button_label,
    clip,
    household_label,
)
from locales import Translator
from models.enums import VisitMode
from services.visits.household_search import Match
from services.visits.problem_words import named_problems
from services.visits.records import CHECKS, PhotoIn
from services.visits.targets import VisitTarget

MODES = (VisitMode.IN_PERSON, VisitMode.PHONE, VisitMode.ONLINE)


@dataclass(frozen=True)
class VisitCb(Payload, prefix="vis"):
    """a: h pick household (guided), q pick household (one-line), m mode, c check,
    n all items fine, k the item a note concerns (one past the last: none), p the same for
    a one-line visit, d a one-line visit's second of the day (1 save, 0 cancel), r risk,
    s save (1: even though visited today), x cancel; v: a household id or an index. ``vis:m:1``
    on the wire, as aiogram's CallbackData packed it, so cards already in chats keep
    working."""

    a: str
    v: int = 0


def button(text: str, action: str, value: int = 0) -> Button:
    return Button(text, VisitCb(a=action, v=value).pack())


def pick_keyboard(items: list[tuple[int, str, str]], action: str) -> Keyboard:
    """One button per (household id, head, code)."""
    buttons = [button(button_label(head, code), action, hid) for hid, head, code in items]
    return rows_of(buttons, 2)


def match_keyboard(matches: tuple[Match, ...], action: str) -> Keyboard:
    return pick_keyboard([(m.household_id, m.head_name, m.code) for m in matches], action)


def new_draft(target: VisitTarget) -> dict[str, Any]:
    return {
        "household_id": target.household_id,
        "head": target.head_name,
        "code": target.code,
        "village": target.village,
        "mode": VisitMode.IN_PERSON.value,
        "checks": {k: {"ok": True, "note": ""} for k in CHECKS},
        "notes": "",
        "photos": [],
        "location": None,
        "risk": False,
        "risk_note": "",
        "awaiting": None,
        # Nothing is "fine" until the cadre says so (各项均正常) or ticks a problem.
        "confirmed": False,
        # A note that names a problem, until the cadre says which item it concerns.
        "asking": None,
        "card_id": None,
    }


def confirmed(draft: dict[str, Any]) -> bool:
    # Drafts opened before the checklist started unticked were all ticked.
    return bool(draft.get("confirmed", True))


def which_item_keyboard(t: Translator, named: tuple[str, ...], action: str) -> Keyboard:
    """The checklist items as buttons (those the note names marked), and 都正常."""
    items = [
        button(("👉 " if k in named else "") + t(CHECK_LABELS[k]), action, i)
        for i, k in enumerate(CHECKS)
    ]
    return (*rows_of(items, 2), (button(t("All fine"), action, len(CHECKS)),))


def again_text(t: Translator, head: str, code: str) -> str:
    return t(
        "You already visited {household} today. Save this visit as well?",
        household=household_label(t, head, code),
    )


def again_keyboard(t: Translator, save: tuple[str, int], cancel: tuple[str, int]) -> Keyboard:
    return ((button(t("Save"), *save), button(t("Cancel"), *cancel)),)


def which_item_text(t: Translator, note: str) -> str:
    return t(
        "Your note mentions a possible problem: “{note}”. Which item does it concern?",
        note=escape(clip(note)),
    )


def card_text(t: Translator, draft: dict[str, Any]) -> str:
    lines = [
        "📝 "
        + t(
            "<b>Visit to {household}</b>, {village}",
            household=household_label(t, draft["head"], draft["code"]),
            village=escape(draft["village"]),
        ),
        t("Mode: {mode}", mode=t(MODE_LABELS[VisitMode(draft["mode"])])),
        t("One income, two assurances, three guarantees:"),
    ]
    for key in CHECKS:
        check = draft["checks"][key]
        if check["ok"]:
            lines.append(("✅ " if confirmed(draft) else "▫️ ") + t(CHECK_LABELS[key]))
        else:
            label = t(CHECK_LABELS[key])
            if check["note"]:
                label = t("{item}: {note}", item=label, note=escape(clip(check["note"])))
            lines.append(f"⚠️ {label}")
    if draft["notes"]:
        lines.append(t("Notes: {notes}", notes=escape(clip(draft["notes"]))))
    location = t("shared") if draft["location"] else t("not shared (optional)")
    lines.append(t("Photos: {n} · Location: {location}", n=len(draft["photos"]), location=location))
    if draft["risk"]:
        risk = t("Risk of falling back into poverty")
        if draft["risk_note"]:
            risk = t("{item}: {note}", item=risk, note=escape(clip(draft["risk_note"])))
        lines.append("⚠️ " + risk)
    awaiting = draft["awaiting"]
    if draft.get("asking"):
        hint = which_item_text(t, draft["asking"])
    elif awaiting == "risk":
        hint = t("Send a note on the risk (optional), or press Save.")
    elif awaiting:
        item = t(CHECK_LABELS[awaiting])
        hint = t("Send a note on {item} (optional), or carry on.", item=item)
    elif not confirmed(draft):
        hint = t(
            "Tap the items with a problem, or “All items fine”. Send text for notes, or "
            "photos or your location (optional). Then Save."
        )
    else:
        hint = t(
            "Tap an item to mark a problem. Send text for notes, or photos or your location "
            "(optional). Then Save."
        )
    lines.append(f"\n<i>{hint}</i>")
    return "\n".join(lines)


def card_keyboard(t: Translator, draft: dict[str, Any]) -> Keyboard:
    if draft.get("asking"):
        named = named_problems(draft["asking"])
        return (*which_item_keyboard(t, named, "k"), (button(t("Cancel"), "x"),))
    modes = [
        button(("● " if draft["mode"] == m.value else "") + t(MODE_LABELS[m]), "m", i)
        for i, m in enumerate(MODES)
    ]
    fine = "✅ " if confirmed(draft) else "▫️ "
    checks = [
        button((fine if draft["checks"][k]["ok"] else "⚠️ ") + t(CHECK_LABELS[k]), "c", i)
        for i, k in enumerate(CHECKS)
    ]
    all_fine: Keyboard = () if confirmed(draft) else ((button("✅ " + t("All items fine"), "n"),),)
    risk = (
        "⚠️ " + t("Risk flagged (tap to clear)")
        if draft["risk"]
        else t("Flag a risk of falling back into poverty")
    )
    return (
        tuple(modes),
        *rows_of(checks, 2),
        *all_fine,
        (button(risk, "r"),),
        (button("💾 " + t("Save"), "s"), button(t("Cancel"), "x")),
    )


def photo_in(raw: dict[str, Any]) -> PhotoIn:
    return PhotoIn(
        file_id=raw["file_id"],
        file_unique_id=raw["file_unique_id"],
        received_at=datetime.fromisoformat(raw["received_at"]),
        file_size=raw.get("file_size"),
        width=raw.get("width"),
        height=raw.get("height"),
    )
