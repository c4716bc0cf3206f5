"""The approver's side: decide by button or by replying to the card, and /pending.

Every press is re-checked by the service (who holds which post for which place); a press
the server refuses is answered and recorded, never acted on.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from handlers.context import Deployment, pack_of
from handlers.filters import HasRole
from handlers.formatting import date_range, stamp
from handlers.leave.callbacks import LeaveDecision
from handlers.leave.views import card_text, decision_keyboard, error_text, kind_label
from locales import Translator
from models.db import UnitOfWork
from models.enums import Role
from services.calendar import load_calendar
from services.clock import Clock
from services.errors import DomainError
from services.leave import approvals
from services.leave import plan as leave_plans
from services.roster.identity import Identity

APPROVE_WORDS = {"同意", "批准", "准假", "approve", "approved", "ok", "yes"}
REJECT = re.compile(r"^(驳回|不同意|不批准|reject)\s*[:：,，]?\s*(.*)$", re.IGNORECASE | re.DOTALL)


class RejectFlow(StatesGroup):
    reason = State()


def _verdict(t: Translator, decision: approvals.Decision, settings: Deployment) -> str:
    when = stamp(t, decision.decided_at, settings.zone) if decision.decided_at else ""
    if decision.approved:
        return t("Approved by {name} at {when}.", name=decision.decided_by, when=when)
    return t("Rejected by {name} at {when}.", name=decision.decided_by, when=when)


# What became of a decision attempt, for what the card should show afterwards.
DONE, DECIDED_BEFORE, REFUSED = "done", "decided_before", "refused"


async def _decide(
    uow: UnitOfWork,
    identity: Identity | None,
    leave_id: int,
    approve: bool,
    note: str,
    t: Translator,
    clock: Clock,
    settings: Deployment,
) -> tuple[str, str]:
    """What to tell the presser, and the outcome (DONE, DECIDED_BEFORE or REFUSED)."""
    if identity is None:
        await approvals.refuse_press(uow.session, None, leave_id, "stranger", clock.now())
        return error_text(t, DomainError("not_your_decision")), REFUSED
    try:
        decision = await approvals.decide(
            uow.session,
            pack_of(settings),
            leave_id,
            identity.person_id,
            approve=approve,
            note=note,
            now=clock.now(),
        )
    except DomainError as exc:
        if exc.code in ("not_your_decision", "leave_unknown"):
            await approvals.refuse_press(
                uow.session, identity.person_id, leave_id, exc.code, clock.now()
            )
            # The same words for an id that does not exist: a forger learns nothing.
            return error_text(t, DomainError("not_your_decision")), REFUSED
        return error_text(t, exc), REFUSED
    if not decision.decided_now:
        return t(
            "Already decided: {verdict}", verdict=_verdict(t, decision, settings)
        ), DECIDED_BEFORE
    return _verdict(t, decision, settings), DONE


async def decision_pressed(
    query: CallbackQuery,
    callback_data: LeaveDecision,
    state: FSMContext,
    uow: UnitOfWork,
    identity: Identity | None,
    t: Translator,
    clock: Clock,
    settings: Deployment,
) -> Any:
    leave_id = callback_data.leave_id
    if callback_data.action == "show":
        return await _show_card(query, leave_id, uow, identity, t, settings)
    if callback_data.action == "no":
        # Authority is checked now too, so nobody is asked for a reason they cannot give.
        allowed = identity is not None and await approvals.may_decide_id(
            uow.session, pack_of(settings), leave_id, identity.person_id
        )
        if not allowed:
            text, _ = await _decide(uow, identity, leave_id, False, "-", t, clock, settings)
            return query.answer(text, show_alert=True)
        await state.set_state(RejectFlow.reason)
        await state.update_data(leave_id=leave_id)
        await query.answer()
        if query.message is not None:
            await query.message.answer(
                t("Why is leave #{id} rejected? Write the reason:", id=leave_id)
            )
        return None
    text, outcome = await _decide(uow, identity, leave_id, True, "", t, clock, settings)
    await uow.commit()
    await query.answer(text, show_alert=outcome != DONE)
    message = query.message
    # The card itself shows the outcome and loses its buttons; a refused press leaves it.
    if outcome != REFUSED and isinstance(message, Message):
        await message.edit_text(f"{message.html_text}\n\n<b>{text}</b>", reply_markup=None)
    return None


async def typed_rejection(
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
    text, _ = await _decide(
        uow, identity, int(data["leave_id"]), False, message.text or "", t, clock, settings
    )
    return message.answer(text)


def _card_leave(card: Message) -> int | None:
    markup = card.reply_markup
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            data = button.callback_data or ""
            if data.startswith(LeaveDecision.__prefix__ + LeaveDecision.__separator__):
                try:
                    return LeaveDecision.unpack(data).leave_id
                except (TypeError, ValueError):
                    return None
    return None


async def replied_to_card(
    message: Message,
    uow: UnitOfWork,
    identity: Identity,
    t: Translator,
    clock: Clock,
    settings: Deployment,
) -> Any:
    reply_to = message.reply_to_message
    assert reply_to is not None
    # An undecided card carries its request in its buttons: this also covers a card opened
    # from /pending, and one replied to before the relay recorded its message id. The
    # decision itself re-checks who may take it.
    leave_id = _card_leave(reply_to)
    if leave_id is None:
        leave_id = await approvals.leave_of_card(uow.session, message.chat.id, reply_to.message_id)
    if leave_id is None:
        raise SkipHandler  # a reply to something else: not ours
    words = (message.text or "").strip()
    if words.lower().rstrip("。.!！") in APPROVE_WORDS:
        text, _ = await _decide(uow, identity, leave_id, True, "", t, clock, settings)
    elif match := REJECT.match(words):
        if not match.group(2).strip():
            return message.answer(t('Please give the reason after the word, e.g. "驳回 时间冲突".'))
        text, _ = await _decide(uow, identity, leave_id, False, match.group(2), t, clock, settings)
    else:
        return message.answer(escape(t('Reply "同意" to approve or "驳回 <reason>" to reject.')))
    return message.answer(text)


async def pending(message: Message, uow: UnitOfWork, identity: Identity, t: Translator) -> Any:
    waiting = await approvals.pending_for(uow.session, identity.person_id)
    if not waiting:
        return message.answer(t("Nothing waits for your decision."))
    lines = [t("Waiting for your decision, oldest first:")]
    buttons = []
    for leave in waiting:
        assert leave.id is not None
        lines.append(
            f"#{leave.id} {kind_label(t, leave.kind.value)} "
            f"{date_range(t, leave.start_date, leave.end_date)} ({leave.days})"
        )
        buttons.append(
            [
                InlineKeyboardButton(
                    text=t("Open #{id}", id=leave.id),
                    callback_data=LeaveDecision(action="show", leave_id=leave.id).pack(),
                )
            ]
        )
    return message.answer(
        "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
    )


async def _show_card(
    query: CallbackQuery,
    leave_id: int,
    uow: UnitOfWork,
    identity: Identity | None,
    t: Translator,
    settings: Deployment,
) -> Any:
    pack = pack_of(settings)
    leave = await approvals.leave_for_decider(
        uow.session, pack, leave_id, identity.person_id if identity else None
    )
    if leave is None:
        return query.answer(error_text(t, DomainError("not_your_decision")), show_alert=True)
    calendar = await load_calendar(uow.session)
    leave_plan = await leave_plans.stored_plan(uow.session, pack, calendar, leave)
    params = leave_plans.card_params(leave_plan, leave)
    await query.answer()
    if query.message is not None:
        await query.message.answer(
            card_text(t, params), reply_markup=decision_keyboard(t, leave_id)
        )
    return None


def build_router() -> Router:
    router = Router(name="leave_approval")
    # No role filter on the buttons: a press by anyone else is refused *and recorded*.
    router.callback_query.register(decision_pressed, LeaveDecision.filter())
    approvers = HasRole(Role.APPROVER)
    private = F.chat.type == ChatType.PRIVATE
    router.message.register(pending, Command("pending"), approvers, private)
    router.message.register(
        typed_rejection, RejectFlow.reason, approvers, private, F.text & ~F.text.startswith("/")
    )
    router.message.register(
        replied_to_card, approvers, private, F.reply_to_message.from_user.is_bot, F.text
    )
    return router
