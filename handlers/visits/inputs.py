"""What a cadre sends while the /visit form is open, still on aiogram: a typed household, a
note, a photo or a location each bring a fresh card, and the old card loses its buttons.

The core cannot do this yet: its views do not say which message a sent card became (the
draft keeps it, so only the newest card can be pressed) nor edit a message other than the
pressed one (the old card), and its photo event carries the file id only, not the size and
dimensions a visit records. /visit with a photo (the one line as its caption) is here for
the same reason, and so is /mine as a caption (the core reads no captions). Everything else
about visits is on the core (commands.py, flow.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from handlers.context import Deployment, pack_of
from handlers.core.conversation import State
from handlers.core.views import Keyboard
from handlers.filters import HasRole, Registered
from handlers.visits import flow
from handlers.visits.card import card_keyboard, card_text, match_keyboard, new_draft
from handlers.visits.commands import households, one_line
from handlers.visits.flow import EXPIRED, VisitFlow, add_input
from handlers.visits.views import choices_text, error_text
from locales import Translator
from models.db import UnitOfWork
from models.enums import Role
from services.clock import Clock
from services.errors import DomainError
from services.roster.identity import Identity
from services.visits.targets import resolve_household


class _Fsm:
    """aiogram's FSM context as the core's Conversation (the same stored conversation)."""

    def __init__(self, fsm: FSMContext) -> None:
        self.fsm = fsm

    async def get_state(self) -> str | None:
        return await self.fsm.get_state()

    async def set_state(self, state: State | None) -> None:
        await self.fsm.set_state(state.state if state is not None else None)

    async def get_data(self) -> dict[str, Any]:
        return await self.fsm.get_data()

    async def update_data(self, **values: Any) -> dict[str, Any]:
        return await self.fsm.update_data(**values)

    async def clear(self) -> None:
        await self.fsm.clear()


def _markup(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.label, callback_data=b.payload) for b in row]
            for row in buttons
        ]
    )


def photo_of(message: Message, now: datetime) -> dict[str, Any] | None:
    """The largest size of a message's photo, as the draft keeps it."""
    if not message.photo:
        return None
    size = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
    return {
        "file_id": size.file_id,
        "file_unique_id": size.file_unique_id,
        "file_size": size.file_size,
        "width": size.width,
        "height": size.height,
        "received_at": now.isoformat(),
    }


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
    keyboard = _markup(card_keyboard(t, draft))
    sent = await message.answer(card_text(t, draft), reply_markup=keyboard)
    draft["card_id"] = sent.message_id
    await state.set_state(VisitFlow.card.state)
    await state.set_data({"draft": draft})


async def visit_command(
    message: Message, command: CommandObject, state: FSMContext, identity: Identity,
    uow: UnitOfWork, clock: Clock, settings: Deployment, t: Translator,
) -> Any:  # fmt: skip
    """A photo whose caption is ``/visit <name or code> [mode] [notes]``: saved with it.
    (Also a /visit the core could not read as a command, which aiogram does.)"""
    assert identity.cadre is not None
    args = (command.args or "").strip()
    photo = photo_of(message, clock.now())
    if not args:
        if photo is not None:
            return message.answer(error_text(t, DomainError("visit_name_missing")))
        text, keyboard = await flow.ask_household(
            _Fsm(state), t, uow.session, identity.cadre.cadre_id, pack_of(settings),
            clock.now(), settings.zone,
        )  # fmt: skip
        return message.answer(text, reply_markup=_markup(keyboard))
    text, keyboard = await one_line(
        _Fsm(state), t, uow.session, identity.cadre.cadre_id, pack_of(settings),
        clock.now(), settings.zone, args, [photo] if photo else [],
    )  # fmt: skip
    return message.answer(text, reply_markup=_markup(keyboard))


async def mine(
    message: Message, identity: Identity, uow: UnitOfWork, clock: Clock,
    settings: Deployment, t: Translator,
) -> Any:  # fmt: skip
    """/mine as a photo's caption (or as the core could not read it)."""
    assert identity.cadre is not None
    text, keyboard = await households(
        t, uow.session, identity.cadre.cadre_id, pack_of(settings), clock.now(), settings.zone
    )
    return message.answer(text, reply_markup=_markup(keyboard))


async def not_a_cadre(message: Message, t: Translator) -> Any:
    return message.answer(error_text(t, DomainError("visit_not_cadre")))


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
    keyboard = _markup(match_keyboard(matches, "h")) if matches else None
    return message.answer(choices_text(t, message.text, matches), reply_markup=keyboard)


async def card_input(
    message: Message, state: FSMContext, uow: UnitOfWork, clock: Clock, t: Translator, bot: Bot,
) -> Any:  # fmt: skip
    """Text, a photo or a location while the card is open."""
    draft = dict((await state.get_data()).get("draft") or {})
    if not draft:
        await state.clear()
        return message.answer(t(EXPIRED))
    location = message.location
    refused = add_input(
        t,
        draft,
        photo=photo_of(message, clock.now()),
        location=(location.latitude, location.longitude) if location is not None else None,
        text=message.text,
    )
    if refused is not None:
        return message.answer(refused)
    await uow.commit()
    await send_card(message, state, draft, t, bot)
    return None


def build_router() -> Router:
    """A fresh router each call, so several dispatchers (tests, replicas) can coexist."""
    router = Router(name="visits")
    private = F.chat.type == ChatType.PRIVATE
    cadre = HasRole(Role.CADRE)
    text = F.text & ~F.text.startswith("/")
    # The core takes /visit and /mine typed as text; as a photo's caption (or split from
    # their arguments by a line break, which the core does not read) they come here.
    router.message.register(visit_command, Command("visit"), private, cadre)
    router.message.register(mine, Command("mine"), private, cadre)
    router.message.register(not_a_cadre, Command("visit", "mine"), private, Registered())
    router.message.register(
        typed_household, StateFilter(VisitFlow.household.state), private, cadre, text
    )
    router.message.register(
        card_input, StateFilter(VisitFlow.card.state), private, cadre, text | F.photo | F.location
    )
    return router
