"""/spotcheck (the approver asks), /explain and the Explain button (the cadre), Confirm and
Clear (the approver decides). Every press is re-checked by the service."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from handlers.context import Deployment, pack_of
from handlers.filters import HasRole
from handlers.formatting import stamp
from handlers.presence.callbacks import SpotCb
from handlers.presence.views import error_text
from locales import N_, Translator
from models.db import UnitOfWork
from models.enums import CheckState, Role
from services.clock import Clock
from services.errors import DomainError
from services.presence import spot_check_decisions, spot_checks
from services.roster.identity import Identity

SANCTIONS = {
    "notice": N_("A city-wide notice is recorded and the county told (ganzhou Art.21)."),
    "recall_proposal": N_(
        "A recall proposal is opened for the county leading group (ganzhou Art.21)."
    ),
    "no_award": N_("No award this year is recorded (qinghai item 4)."),
}


class ExplainFlow(StatesGroup):
    text = State()


async def start_check(
    message: Message,
    command: CommandObject,
    uow: UnitOfWork,
    identity: Identity,
    t: Translator,
    clock: Clock,
    settings: Deployment,
) -> Any:
    try:
        started = await spot_checks.start(
            uow.session, pack_of(settings), identity.person_id, command.args or "", clock.now(),
            settings.zone,
        )  # fmt: skip
    except DomainError as exc:
        return message.answer(error_text(t, exc))
    asked = [
        f"{escape(x.name)}（{escape(x.village)}）"
        for x in started.targets
        if x.state is CheckState.ASKED
    ]
    lines = []
    if asked:
        lines.append(
            t(
                "Spot check sent to {names}. They have until {time} to share their location.",
                names=t(", ").join(asked),
                time=stamp(t, started.deadline_at, settings.zone),
            )
        )
    for target in started.targets:
        if target.state is CheckState.FINE:
            lines.append(t("{name} is on approved leave today: fine.", name=escape(target.name)))
        elif not target.reachable:
            lines.append(
                t(
                    "{name} has not opened the bot and cannot answer; no answer counts as "
                    "suspected at the deadline.",
                    name=escape(target.name),
                )
            )
    lines.append(t("You will hear each answer here."))
    return message.answer("\n".join(lines))


async def pressed(
    query: CallbackQuery,
    callback_data: SpotCb,
    state: FSMContext,
    uow: UnitOfWork,
    identity: Identity | None,
    t: Translator,
    clock: Clock,
    settings: Deployment,
) -> Any:
    if identity is None:
        return query.answer(error_text(t, DomainError("not_your_check")), show_alert=True)
    if callback_data.action == "explain":
        await state.set_state(ExplainFlow.text)
        await state.update_data(target_id=callback_data.target_id)
        await query.answer()
        if query.message is not None:
            await query.message.answer(t("What happened? Write your explanation:"))
        return None
    try:
        decided = await spot_check_decisions.decide(
            uow.session, pack_of(settings), callback_data.target_id, identity.person_id,
            confirm=callback_data.action == "confirm", now=clock.now(),
        )  # fmt: skip
    except DomainError as exc:
        return query.answer(error_text(t, exc), show_alert=True)
    await uow.commit()
    confirmed = decided.target.state is CheckState.CONFIRMED
    verdict = (
        t("Confirmed as an unexplained absence by {name}.", name=escape(decided.decided_by))
        if confirmed
        else t("Cleared by {name}.", name=escape(decided.decided_by))
    )
    if not decided.decided_now:
        verdict = t("Already decided: {verdict}", verdict=verdict)
    extra = [t(SANCTIONS[kind]) for kind in decided.sanctions if kind in SANCTIONS]
    await query.answer(verdict, show_alert=not decided.decided_now)
    if isinstance(query.message, Message):
        text = "\n".join([query.message.html_text, "", f"<b>{verdict}</b>", *extra])
        await query.message.edit_text(text, reply_markup=None)
    return None


async def _explain(
    message: Message,
    uow: UnitOfWork,
    identity: Identity,
    t: Translator,
    clock: Clock,
    settings: Deployment,
    text: str,
    target_id: int | None,
) -> Any:
    if identity.cadre is None:
        return message.answer(error_text(t, DomainError("nothing_to_explain")))
    try:
        await spot_check_decisions.explain(
            uow.session, pack_of(settings), identity.cadre.cadre_id, text, clock.now(), target_id
        )
    except DomainError as exc:
        return message.answer(error_text(t, exc))
    return message.answer(t("Your explanation has been sent to the approver who asked."))


async def explain_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    uow: UnitOfWork,
    identity: Identity,
    t: Translator,
    clock: Clock,
    settings: Deployment,
) -> Any:
    await state.clear()
    if not (command.args or "").strip():
        await state.set_state(ExplainFlow.text)
        return message.answer(t("What happened? Write your explanation:"))
    return await _explain(message, uow, identity, t, clock, settings, command.args or "", None)


async def typed_explanation(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    identity: Identity,
    t: Translator,
    clock: Clock,
    settings: Deployment,
) -> Any:
    data = await state.get_data()
    await state.clear()
    target_id = data.get("target_id")
    return await _explain(
        message, uow, identity, t, clock, settings, message.text or "",
        int(target_id) if target_id is not None else None,
    )  # fmt: skip


def build_router() -> Router:
    router = Router(name="spot_checks")
    private = F.chat.type == ChatType.PRIVATE
    # No role filter on the buttons: the service decides who may press what.
    router.callback_query.register(pressed, SpotCb.filter())
    router.message.register(start_check, Command("spotcheck"), HasRole(Role.APPROVER), private)
    cadres = HasRole(Role.CADRE)
    router.message.register(explain_command, Command("explain"), cadres, private)
    router.message.register(
        typed_explanation, ExplainFlow.text, cadres, private, F.text & ~F.text.startswith("/")
    )
    return router
