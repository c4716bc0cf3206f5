"""/recall (the township proposes, ganzhou Art.22), the county leading group's decision and
the dispatching unit's "replacement sent", by button. The service re-checks every post."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from handlers.context import Deployment, pack_of, today
from handlers.filters import HasRole
from handlers.presence.callbacks import RecallCb, RecallGround
from handlers.presence.views import error_text
from locales import Translator
from models.db import UnitOfWork
from models.enums import Role
from services.clock import Clock
from services.errors import DomainError
from services.policy import PolicyPack
from services.roster.identity import Identity
from services.supervision import recall


class RecallFlow(StatesGroup):
    note = State()


def _grounds(pack: PolicyPack) -> list[str]:
    return list(pack.recall.grounds)


def _usage(t: Translator, pack: PolicyPack) -> str:
    lines = [
        escape(
            t(
                "To propose a recall: /recall <name>, then choose the ground; or in one line "
                "/recall <name> <ground number> <note>. The grounds (ganzhou Art.22):"
            )
        )
    ]
    lines += [f"{n}. {escape(text)}" for n, text in enumerate(pack.recall.grounds.values(), 1)]
    return "\n".join(lines)


async def _propose(
    message: Message,
    uow: UnitOfWork,
    identity: Identity,
    t: Translator,
    clock: Clock,
    settings: Deployment,
    cadre_id: int,
    ground: str,
    note: str,
) -> Any:
    pack = pack_of(settings)
    try:
        row = await recall.propose(
            uow.session, pack, identity.person_id, cadre_id, ground, note, clock.now()
        )
    except DomainError as exc:
        return message.answer(error_text(t, exc))
    return message.answer(
        t(
            "Recall proposal #{id} ({ground}) sent to the county leading group, which decides.",
            id=row.id,
            ground=escape(pack.recall.grounds[ground]),
        )
    )


async def recall_command(
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
    pack = pack_of(settings)
    words = (command.args or "").split(maxsplit=2)
    if not words:
        return message.answer(_usage(t, pack))
    try:
        found = await recall.find_cadre(
            uow.session, pack, identity.person_id, words[0], today(clock, settings)
        )
    except DomainError as exc:
        return message.answer(error_text(t, exc))
    grounds = _grounds(pack)
    if len(words) == 3 and words[1].isdigit() and 1 <= int(words[1]) <= len(grounds):
        ground = grounds[int(words[1]) - 1]
        return await _propose(
            message, uow, identity, t, clock, settings, found.cadre_id, ground, words[2]
        )
    buttons = [
        [
            InlineKeyboardButton(
                text=f"{n}. {text}",
                callback_data=RecallGround(cadre_id=found.cadre_id, ground=n - 1).pack(),
            )
        ]
        for n, text in enumerate(pack.recall.grounds.values(), 1)
    ]
    return message.answer(
        t(
            "Recall of {name} ({village}): on which ground (ganzhou Art.22)?",
            name=escape(found.name),
            village=escape(found.village),
        ),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons),
    )


async def ground_pressed(
    query: CallbackQuery, callback_data: RecallGround, state: FSMContext, t: Translator,
    settings: Deployment,
) -> Any:  # fmt: skip
    grounds = _grounds(pack_of(settings))
    if not 0 <= callback_data.ground < len(grounds):
        return query.answer(error_text(t, DomainError("recall_ground_unknown")), show_alert=True)
    await state.set_state(RecallFlow.note)
    await state.update_data(cadre_id=callback_data.cadre_id, ground=grounds[callback_data.ground])
    await query.answer()
    if query.message is not None:
        await query.message.answer(t("Write the note for the proposal: the facts behind it."))
    return None


async def typed_note(
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
    return await _propose(
        message, uow, identity, t, clock, settings, int(data["cadre_id"]), str(data["ground"]),
        message.text or "",
    )  # fmt: skip


async def decision_pressed(
    query: CallbackQuery,
    callback_data: RecallCb,
    uow: UnitOfWork,
    identity: Identity | None,
    t: Translator,
    clock: Clock,
    settings: Deployment,
) -> Any:
    pack, recall_id = pack_of(settings), callback_data.recall_id
    try:
        if identity is None:
            raise DomainError("recall_not_decider")
        if callback_data.action == "done":
            step = await recall.replaced(
                uow.session, pack, recall_id, identity.person_id, clock.now()
            )
            verdict = t("Replacement reported by {name}.", name=escape(step.by))
        else:
            approve = callback_data.action == "ok"
            step = await recall.decide(
                uow.session, pack, recall_id, identity.person_id, approve=approve, note="",
                now=clock.now(),
            )  # fmt: skip
            approved = step.recall.state.value in ("approved", "replaced")
            verdict = (
                t("Recall approved by {name}.", name=escape(step.by))
                if approved
                else t("Recall not approved by {name}.", name=escape(step.by))
            )
    except DomainError as exc:
        return query.answer(error_text(t, exc), show_alert=True)
    await uow.commit()
    if not step.done_now:
        verdict = t("Already decided: {verdict}", verdict=verdict)
    await query.answer(verdict, show_alert=not step.done_now)
    if isinstance(query.message, Message):
        await query.message.edit_text(
            f"{query.message.html_text}\n\n<b>{verdict}</b>", reply_markup=None
        )
    return None


def build_router() -> Router:
    router = Router(name="recall")
    private = F.chat.type == ChatType.PRIVATE
    approvers = HasRole(Role.APPROVER)
    # No role filter on the decision buttons: the service refuses anyone without the post.
    router.callback_query.register(decision_pressed, RecallCb.filter())
    router.callback_query.register(ground_pressed, RecallGround.filter(), approvers)
    router.message.register(recall_command, Command("recall"), approvers, private)
    router.message.register(
        typed_note, RecallFlow.note, approvers, private, F.text & ~F.text.startswith("/")
    )
    return router
