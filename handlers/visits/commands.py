"""/visit (one line, or the guided form in handlers/visits/flow.py) and /mine, for cadres,
in private chats only: household names never go to a group."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from handlers.context import Deployment, pack_of
from handlers.filters import HasRole, Registered
from handlers.visits import card, flow
from handlers.visits.card import VisitCb
from handlers.visits.flow import VisitFlow
from handlers.visits.views import (
    choices_text,
    error_text,
    my_households_text,
    saved_text,
)
from locales import Translator
from models.db import UnitOfWork
from models.enums import Role, VisitMode
from services.clock import Clock
from services.errors import DomainError
from services.roster.identity import Identity
from services.visits.coverage import Quarter
from services.visits.my_households import my_households
from services.visits.quick_visits import QuickVisit, log_quick, quick_visit
from services.visits.records import Check


def _quick_data(quick: QuickVisit, photos: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "mode": quick.mode.value,
        "notes": quick.notes,
        "checks": {k: {"ok": c.ok, "note": c.note} for k, c in quick.checks.items()},
        "risk_note": quick.risk_note,
        "photos": photos,
    }


def _quick_of(data: dict[str, Any]) -> QuickVisit:
    return QuickVisit(
        mode=VisitMode(data["mode"]),
        notes=data["notes"],
        checks={k: Check(ok=c["ok"], note=c["note"]) for k, c in data["checks"].items()},
        risk_note=data["risk_note"],
    )


async def visit_command(
    message: Message, command: CommandObject, state: FSMContext, identity: Identity,
    uow: UnitOfWork, clock: Clock, settings: Deployment, t: Translator,
) -> Any:  # fmt: skip
    """``/visit`` opens the guided form; ``/visit <name or code> [mode] [notes]`` saves at
    once (a photo may carry it as its caption)."""
    assert identity.cadre is not None
    args = (command.args or "").strip()
    photo = card.photo_of(message, clock.now())
    if not args:
        if photo is not None:
            return message.answer(error_text(t, DomainError("visit_name_missing")))
        return await flow.start(message, state, identity, uow, clock, settings, t)
    photos = [photo] if photo else []
    try:
        outcome = await quick_visit(
            uow.session, args, cadre_id=identity.cadre.cadre_id,
            pack=pack_of(settings), now=clock.now(),
            photos=[card.photo_in(p) for p in photos], zone=settings.zone,
        )  # fmt: skip
    except DomainError as exc:
        return message.answer(error_text(t, exc))
    if outcome.saved is not None:
        await state.clear()
        return message.answer(saved_text(t, outcome.saved, settings.zone))
    matches = outcome.choices.matches if outcome.choices else ()
    if not matches or outcome.quick is None:
        await state.clear()
        return message.answer(choices_text(t, outcome.query, ()))
    await state.set_state(VisitFlow.quick)
    await state.set_data({"quick": _quick_data(outcome.quick, photos)})
    return message.answer(
        choices_text(t, outcome.query, matches), reply_markup=card.match_keyboard(matches, "q")
    )


async def quick_picked(
    query: CallbackQuery, callback_data: VisitCb, state: FSMContext, identity: Identity,
    uow: UnitOfWork, clock: Clock, settings: Deployment, t: Translator,
) -> Any:  # fmt: skip
    """The household of a one-line visit, picked from the choices."""
    data = (await state.get_data()).get("quick")
    if identity.cadre is None or data is None or await state.get_state() != VisitFlow.quick.state:
        return query.answer(
            t("This visit form is no longer open. Send /visit to start again."), show_alert=True
        )
    try:
        saved = await log_quick(
            uow.session, cadre_id=identity.cadre.cadre_id, household_id=callback_data.v,
            quick=_quick_of(data), pack=pack_of(settings), now=clock.now(),
            photos=[card.photo_in(p) for p in data["photos"]], zone=settings.zone,
        )  # fmt: skip
    except DomainError as exc:
        return query.answer(error_text(t, exc), show_alert=True)
    await uow.commit()
    await state.clear()
    await flow.replace_text(query, saved_text(t, saved, settings.zone))
    return query.answer(t("Saved."))


async def mine(
    message: Message, identity: Identity, uow: UnitOfWork, clock: Clock,
    settings: Deployment, t: Translator,
) -> Any:  # fmt: skip
    assert identity.cadre is not None
    now, zone = clock.now(), settings.zone
    rows = await my_households(
        uow.session, identity.cadre.cadre_id, pack=pack_of(settings), now=now, zone=zone
    )
    quarter = Quarter.of(now, zone)
    text = my_households_text(t, rows, quarter, quarter.days_left(now, zone), zone)
    items = [(r.household_id, "📝 " + r.head_name, r.code) for r in rows]
    return message.answer(text, reply_markup=card.pick_keyboard(items, "h") if items else None)


async def not_a_cadre(message: Message, t: Translator) -> Any:
    return message.answer(error_text(t, DomainError("visit_not_cadre")))


async def not_a_cadre_press(query: CallbackQuery, t: Translator) -> Any:
    return query.answer(error_text(t, DomainError("visit_not_cadre")), show_alert=True)


def build_router() -> Router:
    """A fresh router each call, so several dispatchers (tests, replicas) can coexist."""
    router = Router(name="visits")
    private = F.chat.type == ChatType.PRIVATE
    cadre = HasRole(Role.CADRE)
    text = F.text & ~F.text.startswith("/")
    router.message.register(visit_command, Command("visit"), private, cadre)
    router.message.register(mine, Command("mine"), private, cadre)
    router.message.register(not_a_cadre, Command("visit", "mine"), private, Registered())
    router.message.register(flow.typed_household, VisitFlow.household, private, cadre, text)
    router.message.register(
        flow.card_input, VisitFlow.card, private, cadre, text | F.photo | F.location
    )
    router.callback_query.register(flow.pick_household, VisitCb.filter(F.a == "h"), cadre)
    router.callback_query.register(quick_picked, VisitCb.filter(F.a == "q"), cadre)
    router.callback_query.register(flow.card_pressed, VisitCb.filter(), cadre)
    router.callback_query.register(not_a_cadre_press, VisitCb.filter(), Registered())
    return router
