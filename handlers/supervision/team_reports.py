"""/halfyear: the team leader submits the team's half-year work report (思想、工作、学习,
central-2017 四(二)); the county leading group office receives it. ``/halfyear <text>`` in
one message, or ``/halfyear`` alone and the text in the next message."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from handlers.context import Deployment, pack_of, today
from handlers.filters import HasRole
from handlers.supervision.schedule_notices import period_text
from locales import N_, Translator
from models.db import UnitOfWork
from models.enums import Role
from services.clock import Clock
from services.errors import DomainError
from services.roster.identity import Identity
from services.supervision import team_reports

ERRORS = {
    "team_leader_required": N_("Only the team leader in post can submit the team's report."),
    "team_report_empty": N_("The report is empty; please write it out."),
    "team_report_too_long": N_(
        "The report is too long ({length} characters, at most {max}); please shorten it."
    ),
}


class HalfYearFlow(StatesGroup):
    text = State()


def _error(t: Translator, exc: DomainError) -> str:
    msgid = ERRORS.get(exc.code)
    if msgid is None:
        return t("Sorry, that did not work ({code}).", code=escape(exc.code))
    return t(msgid, **{k: escape(str(v)) for k, v in exc.params.items()})


async def _submit(
    message: Message,
    uow: UnitOfWork,
    identity: Identity,
    t: Translator,
    clock: Clock,
    settings: Deployment,
    text: str,
) -> Any:
    assert identity.cadre is not None  # the router only lets team leaders in
    try:
        done = await team_reports.submit(
            uow.session, pack_of(settings), identity.cadre.team_id, identity.person_id, text,
            clock.now(), settings.zone,
        )  # fmt: skip
    except DomainError as exc:
        return message.answer(_error(t, exc))
    period = period_text(t, done.period)
    if done.replaced:
        reply = t("The half-year report for {period} is updated; it replaces the earlier one.",
                  period=period)  # fmt: skip
    else:
        reply = t("The half-year report for {period} is submitted.", period=period)
    if done.delivered:
        reply += " " + t("It has been sent to the county leading group office.")
    else:
        reply += " " + t(
            "It is saved, but nobody at the county leading group office can receive it in the "
            "bot yet; please let them know."
        )
    return message.answer("📄 " + reply)


async def halfyear_command(
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
    text = (command.args or "").strip()
    if text:
        return await _submit(message, uow, identity, t, clock, settings, text)
    period = team_reports.report_period(pack_of(settings), today(clock, settings))
    await state.set_state(HalfYearFlow.text)
    return message.answer(
        t(
            "Write the team's half-year work report for {period} (thinking, work, study) and "
            "send it as one message.",
            period=period_text(t, period.label),
        )
    )


async def typed_report(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    identity: Identity,
    t: Translator,
    clock: Clock,
    settings: Deployment,
) -> Any:
    await state.clear()
    return await _submit(message, uow, identity, t, clock, settings, message.text or "")


def build_router() -> Router:
    router = Router(name="team_reports")
    leaders = HasRole(Role.TEAM_LEADER)
    private = F.chat.type == ChatType.PRIVATE
    router.message.register(halfyear_command, Command("halfyear"), leaders, private)
    router.message.register(
        typed_report, HalfYearFlow.text, leaders, private, F.text & ~F.text.startswith("/")
    )
    return router
