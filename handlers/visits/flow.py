"""The guided /visit conversation, as one state table:

    household (buttons, or a typed name or code) ─▶ card ─▶ save | cancel
    card: mode buttons; seven checklist toggles, unticked until the cadre presses
          各项均正常 or ticks a problem (a problem asks for an optional note); any text is a
          note, and a note naming a problem (services/visits/problem_words.py) asks which
          item it concerns; photos and a location are added when sent (both optional); the
          risk flag toggle (asks for an optional note)

The draft lives in the conversation's data; nothing is written until Save, which re-checks on
the server that the cadre may visit the household. Every input sends a fresh card and takes
the buttons off the old one, so only the newest card can be pressed: the draft remembers the
card's message, and a press on any other is refused.

The buttons are here; what the cadre sends while the form is open (a typed household, a
note, a photo, a location) is taken in handlers/visits/inputs.py.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.core.conversation import Conversation, State, Steps
from handlers.core.request import Request
from handlers.core.views import Edit, Keyboard, Reply, Toast, sent_ids
from handlers.visits.card import (
    MODES,
    VisitCb,
    again_keyboard,
    again_text,
    card_keyboard,
    card_text,
    confirmed,
    new_draft,
    photo_in,
    pick_keyboard,
)
from handlers.visits.views import error_text, saved_text
from locales import N_, Translator
from services.errors import DomainError
from services.policy import PolicyPack
from services.visits.my_households import my_households
from services.visits.problem_words import named_problems
from services.visits.records import (
    CHECKS,
    MAX_CHECK_NOTE_CHARS,
    MAX_NOTES_CHARS,
    MAX_PHOTOS,
    Check,
    log_visit,
    visited_today,
)
from services.visits.targets import visit_target

EXPIRED = N_("This visit form is no longer open. Send /visit to start again.")
CONFIRM_FIRST = N_(
    "First say how the household stands: tap “All items fine”, or the items with a problem."
)
ANSWER_FIRST = N_("First say which item your note concerns.")


class VisitFlow(Steps):
    command = "visit"
    household = State()
    card = State()
    quick = State()


# The open card's name among the conversation's remembered messages (views.sent_ids).
CARD = "visit_card"


async def keep(state: Conversation, step: State, **data: Any) -> None:
    """The conversation is at ``step`` and holds ``data`` only."""
    await state.clear()
    await state.set_state(step)
    if data:
        await state.update_data(**data)


# --- steps ---------------------------------------------------------------------------------


async def ask_household(
    state: Conversation, t: Translator, session: AsyncSession, cadre_id: int, pack: PolicyPack,
    now: datetime, zone: ZoneInfo,
) -> tuple[str, Keyboard]:  # fmt: skip
    """The first step: the cadre's households as buttons (a typed name or code also does)."""
    mine = await my_households(session, cadre_id, pack=pack, now=now, zone=zone)
    await keep(state, VisitFlow.household)
    items = [
        (h.household_id, ("✅ " if h.done_this_quarter else "") + h.head_name, h.code) for h in mine
    ]
    text = t("Which household did you visit? Press one, or type a name or code.")
    return text, pick_keyboard(items, "h") if items else ()


async def start(req: Request) -> Reply:
    text, keyboard = await ask_household(
        req.state, req.t, req.session, req.cadre_id, req.pack, req.now(), req.zone
    )
    return Reply.text(text, keyboard)


async def show_card(
    req: Request, draft: dict[str, Any], before: dict[str, Any] | None = None
) -> Reply:
    """The pressed card, redrawn in place (not when nothing changed: Telegram refuses an
    edit that changes nothing)."""
    origin = req.event.origin
    reply = Reply()
    if origin is not None:
        draft["card_id"] = origin.message_id
        if draft != before:
            reply.add(Edit(card_text(req.t, draft), card_keyboard(req.t, draft)))
    # keep() forgets the remembered messages: the pressed card is the open one now.
    await keep(req.state, VisitFlow.card, draft=draft)
    return reply


async def pick_household(req: Request, household_id: int) -> Reply:
    t = req.t
    if req.me.cadre is None:
        return Reply.toast(error_text(t, DomainError("visit_not_cadre")), alert=True)
    try:
        target = await visit_target(req.session, req.cadre_id, household_id)
    except DomainError as exc:
        return Reply.toast(error_text(t, exc), alert=True)
    return await show_card(req, new_draft(target))


async def _draft(req: Request) -> dict[str, Any] | None:
    """The open draft, if the pressed card is its newest card."""
    data = await req.state.get_data()
    draft, origin = data.get("draft"), req.event.origin
    if draft is None or origin is None:
        return None
    # The card sent last (remembered once sent), else the one pressed last.
    if sent_ids(data).get(CARD, draft.get("card_id")) != origin.message_id:
        return None
    return copy.deepcopy(draft)


async def card_pressed(req: Request, pressed: VisitCb) -> Reply:
    t = req.t
    draft = await _draft(req)
    if draft is None:
        return Reply.toast(t(EXPIRED), alert=True)
    before = copy.deepcopy(draft)
    action, value = pressed.a, pressed.v
    if action == "x":
        await req.state.clear()
        return Reply([Edit(t("Visit not saved."))])
    if action == "s":
        if draft.get("asking"):
            return Reply.toast(t(ANSWER_FIRST), alert=True)
        if not confirmed(draft):
            return Reply.toast(t(CONFIRM_FIRST), alert=True)
        if value != 1 and await visited_today(
            req.session, req.cadre_id, draft["household_id"], now=req.now(), zone=req.zone
        ):
            return await _ask_again(req, draft)
        return await _save(req, draft)
    if action == "n":
        draft["checks"] = {k: {"ok": True, "note": ""} for k in CHECKS}
        draft["confirmed"], draft["awaiting"] = True, None
    elif action == "k" and draft.get("asking") and 0 <= value <= len(CHECKS):
        if value < len(CHECKS):
            note = draft["asking"][:MAX_CHECK_NOTE_CHARS]
            draft["checks"][CHECKS[value]] = {"ok": False, "note": note}
        # 都正常 (one past the last item) is an answer too: the cadre has looked.
        draft["confirmed"], draft["asking"] = True, None
    elif action == "m" and 0 <= value < len(MODES):
        draft["mode"] = MODES[value].value
    elif action == "c" and 0 <= value < len(CHECKS):
        key = CHECKS[value]
        check = draft["checks"][key]
        draft["checks"][key] = {"ok": not check["ok"], "note": ""}
        draft["awaiting"] = key if check["ok"] else None
        draft["confirmed"] = True
    elif action == "r":
        draft["risk"] = not draft["risk"]
        draft["risk_note"] = ""
        draft["awaiting"] = "risk" if draft["risk"] else None
    return await show_card(req, draft, before)


async def _ask_again(req: Request, draft: dict[str, Any]) -> Reply:
    """The card becomes the question; 保存 on it saves (s with 1), 取消 drops the visit."""
    origin = req.event.origin
    if origin is not None:
        draft["card_id"] = origin.message_id
    await keep(req.state, VisitFlow.card, draft=draft)
    t = req.t
    text = again_text(t, draft["head"], draft["code"])
    return Reply([Edit(text, again_keyboard(t, ("s", 1), ("x", 0)))])


async def _save(req: Request, draft: dict[str, Any]) -> Reply:
    t = req.t
    if req.me.cadre is None:
        return Reply.toast(error_text(t, DomainError("visit_not_cadre")), alert=True)
    location = draft["location"]
    try:
        saved = await log_visit(
            req.session,
            cadre_id=req.cadre_id,
            household_id=draft["household_id"],
            mode=draft["mode"],
            pack=req.pack,
            now=req.now(),
            checks={k: Check(ok=c["ok"], note=c["note"]) for k, c in draft["checks"].items()},
            notes=draft["notes"],
            photos=[photo_in(p) for p in draft["photos"]],
            location=(location[0], location[1]) if location else None,
            risk=draft["risk"],
            risk_note=draft["risk_note"],
            zone=req.zone,
        )
    except DomainError as exc:
        return Reply.toast(error_text(t, exc), alert=True)
    await req.state.clear()
    return Reply([Toast(t("Saved.")), Edit(saved_text(t, saved, req.zone))])


def add_input(
    t: Translator,
    draft: dict[str, Any],
    *,
    photo: dict[str, Any] | None = None,
    location: tuple[float, float] | None = None,
    text: str | None = None,
) -> str | None:
    """A photo, a location or a note sent while the card is open, into the draft; the
    reason when it cannot be taken (None when it was)."""
    if photo is not None:
        if len(draft["photos"]) >= MAX_PHOTOS:
            return error_text(t, DomainError("visit_too_many_photos", limit=MAX_PHOTOS))
        draft["photos"] = [*draft["photos"], photo]
    elif location is not None:
        draft["location"] = [location[0], location[1]]
    elif text:
        text = text.strip()
        awaiting = draft["awaiting"]
        limit = MAX_NOTES_CHARS if awaiting in (None, "risk") else MAX_CHECK_NOTE_CHARS
        combined = f"{draft['notes']}；{text}" if awaiting is None and draft["notes"] else text
        if len(combined) > limit:
            return error_text(t, DomainError("visit_note_too_long", limit=limit))
        if awaiting == "risk":
            draft["risk_note"] = text
        elif awaiting:
            draft["checks"][awaiting] = {"ok": False, "note": text}
        else:
            draft["notes"] = combined
            if named_problems(text):
                draft["asking"] = text
        draft["awaiting"] = None
    else:
        return t("Send text, a photo or your location, or press Save.")
    return None
