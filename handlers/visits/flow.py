"""The guided /visit conversation, as one state table:

    household (buttons, or a typed name or code) ─▶ card ─▶ save | cancel
    card: mode buttons; seven checklist toggles (a problem asks for an optional note);
          any text is a note; photos and a location are added when sent (both optional);
          the risk flag toggle (asks for an optional note)

The draft lives in the FSM data; nothing is written until Save, which re-checks on the server
that the cadre may visit the household. Every input sends a fresh card and takes the buttons
off the old one, so only the newest card can be pressed.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from handlers.context import Deployment, pack_of
from handlers.visits.card import (
    MODES,
    VisitCb,
    card_keyboard,
    card_text,
    match_keyboard,
    new_draft,
    photo_in,
    photo_of,
    pick_keyboard,
)
from handlers.visits.views import (
    choices_text,
    error_text,
    saved_text,
)
from locales import Translator
from models.db import UnitOfWork
from services.clock import Clock
from services.errors import DomainError
from services.roster.identity import Identity
from services.visits.my_households import my_households
from services.visits.records import (
    CHECKS,
    MAX_CHECK_NOTE_CHARS,
    MAX_NOTES_CHARS,
    MAX_PHOTOS,
    Check,
    log_visit,
)
from services.visits.targets import resolve_household, visit_target


class VisitFlow(StatesGroup):
    household = State()
    card = State()
    quick = State()


async def _strip(bot: Bot, chat_id: int, message_id: int | None) -> None:
    if message_id is None:
        return
    try:
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)
    except TelegramBadRequest:  # gone, or already without buttons
        pass


async def send_card(
    message: Message, state: FSMContext, draft: dict[str, Any], t: Translator, bot: Bot
) -> None:
    """A fresh card below the cadre's last input; the old card loses its buttons."""
    await _strip(bot, message.chat.id, draft.get("card_id"))
    sent = await message.answer(card_text(t, draft), reply_markup=card_keyboard(t, draft))
    draft["card_id"] = sent.message_id
    await state.set_state(VisitFlow.card)
    await state.set_data({"draft": draft})


async def replace_text(query: CallbackQuery, text: str) -> None:
    """The pressed message now says ``text``, without buttons; a fresh message when it can
    no longer be edited (too old, or deleted)."""
    message = query.message
    if not isinstance(message, Message):
        if query.from_user is not None and query.bot is not None:
            await query.bot.send_message(query.from_user.id, text)
        return
    try:
        await message.edit_text(text)
    except TelegramBadRequest:
        await message.answer(text)


async def show_card(
    query: CallbackQuery, state: FSMContext, draft: dict[str, Any], t: Translator
) -> Any:
    """The pressed card, redrawn in place."""
    message = query.message
    if isinstance(message, Message):
        draft["card_id"] = message.message_id
        try:
            await message.edit_text(card_text(t, draft), reply_markup=card_keyboard(t, draft))
        except TelegramBadRequest:  # nothing changed
            pass
    await state.set_state(VisitFlow.card)
    await state.set_data({"draft": draft})
    return query.answer()


# --- steps ---------------------------------------------------------------------------------


async def start(
    message: Message, state: FSMContext, identity: Identity, uow: UnitOfWork,
    clock: Clock, settings: Deployment, t: Translator,
) -> Any:  # fmt: skip
    assert identity.cadre is not None
    mine = await my_households(
        uow.session, identity.cadre.cadre_id, pack=pack_of(settings),
        now=clock.now(), zone=settings.zone,
    )  # fmt: skip
    await state.set_state(VisitFlow.household)
    await state.set_data({})
    items = [
        (h.household_id, ("✅ " if h.done_this_quarter else "") + h.head_name, h.code) for h in mine
    ]
    text = t("Which household did you visit? Press one, or type a name or code.")
    return message.answer(text, reply_markup=pick_keyboard(items, "h") if items else None)


async def typed_household(
    message: Message, state: FSMContext, identity: Identity, uow: UnitOfWork,
    t: Translator, bot: Bot,
) -> Any:  # fmt: skip
    assert identity.cadre is not None and message.text is not None
    resolved = await resolve_household(uow.session, identity.cadre.cadre_id, message.text)
    if resolved.target is not None:
        await uow.commit()
        await send_card(message, state, new_draft(resolved.target), t, bot)
        return None
    matches = resolved.result.matches
    keyboard = match_keyboard(matches, "h") if matches else None
    return message.answer(choices_text(t, message.text, matches), reply_markup=keyboard)


async def pick_household(
    query: CallbackQuery, callback_data: VisitCb, state: FSMContext, identity: Identity,
    uow: UnitOfWork, t: Translator,
) -> Any:  # fmt: skip
    if identity.cadre is None:
        return query.answer(error_text(t, DomainError("visit_not_cadre")), show_alert=True)
    try:
        target = await visit_target(uow.session, identity.cadre.cadre_id, callback_data.v)
    except DomainError as exc:
        return query.answer(error_text(t, exc), show_alert=True)
    await uow.commit()
    return await show_card(query, state, new_draft(target), t)


async def _draft(query: CallbackQuery, state: FSMContext, t: Translator) -> dict[str, Any] | None:
    data = await state.get_data()
    draft = data.get("draft")
    message = query.message
    if draft is None or message is None or draft.get("card_id") != message.message_id:
        await query.answer(
            t("This visit form is no longer open. Send /visit to start again."), show_alert=True
        )
        return None
    return dict(draft)


async def card_pressed(
    query: CallbackQuery, callback_data: VisitCb, state: FSMContext, identity: Identity,
    uow: UnitOfWork, clock: Clock, settings: Deployment, t: Translator,
) -> Any:  # fmt: skip
    draft = await _draft(query, state, t)
    if draft is None:
        return None
    action, value = callback_data.a, callback_data.v
    if action == "x":
        await state.clear()
        await replace_text(query, t("Visit not saved."))
        return query.answer()
    if action == "s":
        return await _save(query, state, draft, identity, uow, clock, settings, t)
    if action == "m" and 0 <= value < len(MODES):
        draft["mode"] = MODES[value].value
    elif action == "c" and 0 <= value < len(CHECKS):
        key = CHECKS[value]
        check = draft["checks"][key]
        draft["checks"][key] = {"ok": not check["ok"], "note": ""}
        draft["awaiting"] = key if check["ok"] else None
    elif action == "r":
        draft["risk"] = not draft["risk"]
        draft["risk_note"] = ""
        draft["awaiting"] = "risk" if draft["risk"] else None
    return await show_card(query, state, draft, t)


async def _save(
    query: CallbackQuery, state: FSMContext, draft: dict[str, Any], identity: Identity,
    uow: UnitOfWork, clock: Clock, settings: Deployment, t: Translator,
) -> Any:  # fmt: skip
    if identity.cadre is None:
        return query.answer(error_text(t, DomainError("visit_not_cadre")), show_alert=True)
    location = draft["location"]
    try:
        saved = await log_visit(
            uow.session,
            cadre_id=identity.cadre.cadre_id,
            household_id=draft["household_id"],
            mode=draft["mode"],
            pack=pack_of(settings),
            now=clock.now(),
            checks={k: Check(ok=c["ok"], note=c["note"]) for k, c in draft["checks"].items()},
            notes=draft["notes"],
            photos=[photo_in(p) for p in draft["photos"]],
            location=(location[0], location[1]) if location else None,
            risk=draft["risk"],
            risk_note=draft["risk_note"],
            zone=settings.zone,
        )
    except DomainError as exc:
        return query.answer(error_text(t, exc), show_alert=True)
    await uow.commit()
    await state.clear()
    await replace_text(query, saved_text(t, saved, settings.zone))
    return query.answer(t("Saved."))


async def card_input(
    message: Message, state: FSMContext, uow: UnitOfWork, clock: Clock, t: Translator, bot: Bot,
) -> Any:  # fmt: skip
    """Text, a photo or a location while the card is open."""
    draft = dict((await state.get_data()).get("draft") or {})
    if not draft:
        await state.clear()
        return message.answer(t("This visit form is no longer open. Send /visit to start again."))
    photo = photo_of(message, clock.now())
    if photo is not None:
        if len(draft["photos"]) >= MAX_PHOTOS:
            return message.answer(
                error_text(t, DomainError("visit_too_many_photos", limit=MAX_PHOTOS))
            )
        draft["photos"] = [*draft["photos"], photo]
    elif message.location is not None:
        draft["location"] = [message.location.latitude, message.location.longitude]
    elif message.text:
        text = message.text.strip()
        awaiting = draft["awaiting"]
        limit = MAX_NOTES_CHARS if awaiting in (None, "risk") else MAX_CHECK_NOTE_CHARS
        combined = f"{draft['notes']}；{text}" if awaiting is None and draft["notes"] else text
        if len(combined) > limit:
            return message.answer(error_text(t, DomainError("visit_note_too_long", limit=limit)))
        if awaiting == "risk":
            draft["risk_note"] = text
        elif awaiting:
            draft["checks"][awaiting] = {"ok": False, "note": text}
        else:
            draft["notes"] = combined
        draft["awaiting"] = None
    else:
        return message.answer(t("Send text, a photo or your location, or press Save."))
    await uow.commit()
    await send_card(message, state, draft, t, bot)
    return None
