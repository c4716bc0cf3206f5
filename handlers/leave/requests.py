"""/leave, /emergency, /myleave, /back: the cadre's side of 请销假."""

from __future__ import annotations

from datetime import timedelta
from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from handlers.context import Deployment, pack_of, today
from handlers.filters import HasRole
from handlers.formatting import date_range, short_date
from handlers.labels import LEAVE_STATES
from handlers.leave.callbacks import LeaveOwn, LeaveStep
from handlers.leave.flow import (
    LeaveFlow,
    ask_end,
    ask_reason,
    ask_start,
    draft_of,
    kind_keyboard,
    length_keyboard,
    summarise,
)
from handlers.leave.parse import (
    EMERGENCY_WORDS,
    OneLineError,
    parse_date,
    parse_kind,
    parse_one_line,
)
from handlers.leave.views import error_text, kind_label, post_label
from locales import N_, Translator
from models.db import UnitOfWork
from models.enums import LeaveKind, LeaveState, Role
from services.calendar import load_calendar
from services.clock import Clock
from services.errors import DomainError
from services.leave import requests as leaves
from services.leave.plan import LeaveDraft
from services.roster.identity import Identity

ONE_LINE_ERRORS = {
    "missing": N_(
        "To ask in one line: /leave <start> <end> <kind> [reason], for example "
        "/leave 12-01 12-03 事假 家中有事. Or send /leave alone to be guided."
    ),
    "start": N_(
        "I could not read the start date {text!r}. Dates look like 12-01, 12/1 or 12月1日."
    ),
    "kind": N_(
        "I do not know the kind {text!r}. Use one of: 事假, 病假, 年假, 公差, 会议, 培训 "
        "(or personal, sick, annual, business, meeting, training)."
    ),
}


def _cadre(identity: Identity) -> int:
    assert identity.cadre is not None  # the router only lets cadres in
    return identity.cadre.cadre_id


async def start_leave(
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
    args = (command.args or "").strip()
    if not args:
        return message.answer(t("What kind of leave?"), reply_markup=kind_keyboard(t))
    day = today(clock, settings)
    first = args.split(maxsplit=1)
    if first[0].lower() in EMERGENCY_WORDS:
        return await _emergency(
            message, first[1] if len(first) > 1 else "", state, uow, identity, t, clock, settings
        )
    try:
        line = parse_one_line(args, day)
    except OneLineError as exc:
        # These hints show <placeholders>: plain text, escaped for the HTML parse mode.
        return message.answer(escape(t(ONE_LINE_ERRORS[exc.part], text=exc.text)))
    draft = LeaveDraft(line.kind, line.start, line.end, line.reason)
    text, keyboard = await summarise(state, uow, pack_of(settings), _cadre(identity), draft, t, day)
    return message.answer(text, reply_markup=keyboard)


async def emergency_command(
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
    return await _emergency(message, command.args or "", state, uow, identity, t, clock, settings)


async def _emergency(
    message: Message,
    args: str,
    state: FSMContext,
    uow: UnitOfWork,
    identity: Identity,
    t: Translator,
    clock: Clock,
    settings: Deployment,
) -> Any:
    """``/emergency <days> [kind] <reason>``: starts today (ganzhou Art.17, 电话或短信请假)."""
    day = today(clock, settings)
    words = args.split(maxsplit=2)
    if not words or not words[0].rstrip("天").isdigit():
        await state.update_data(
            kind=LeaveKind.PERSONAL.value, start=day.isoformat(), emergency=True
        )
        await state.set_state(LeaveFlow.end)
        return message.answer(
            t("Emergency leave from today. For how many days?"), reply_markup=length_keyboard(t)
        )
    days = max(1, int(words[0].rstrip("天")))
    kind = parse_kind(words[1]) if len(words) > 1 else None
    reason = " ".join(words[2:] if kind else words[1:])
    draft = LeaveDraft(
        kind or LeaveKind.PERSONAL, day, day + timedelta(days=days - 1), reason, emergency=True
    )
    text, keyboard = await summarise(state, uow, pack_of(settings), _cadre(identity), draft, t, day)
    return message.answer(text, reply_markup=keyboard)


async def step_pressed(
    query: CallbackQuery,
    callback_data: LeaveStep,
    state: FSMContext,
    uow: UnitOfWork,
    identity: Identity,
    t: Translator,
    clock: Clock,
    settings: Deployment,
) -> Any:
    day = today(clock, settings)
    step, value = callback_data.step, callback_data.value
    if step == "confirm":
        return await _confirm(query, value == "submit", state, uow, identity, t, clock, settings)
    if step == "kind":
        await state.clear()
        if value == "emergency":
            await state.update_data(
                kind=LeaveKind.PERSONAL.value, start=day.isoformat(), emergency=True
            )
            text, keyboard = t("Emergency leave from today. For how many days?"), length_keyboard(t)
            await state.set_state(LeaveFlow.end)
        else:
            await state.update_data(kind=LeaveKind(value).value, emergency=False)
            text, keyboard = await ask_start(state, t, day)
    elif step == "start":
        await state.update_data(start=value)
        text, keyboard = await ask_end(state, t)
    elif step == "days":
        data = await state.get_data()
        if "start" not in data:
            return await _expired(query, state, t)
        start = parse_date(data["start"], day) or day
        await state.update_data(end=(start + timedelta(days=int(value) - 1)).isoformat())
        text, keyboard = await ask_reason(state, t)
    else:  # reason skipped
        await state.update_data(reason="")
        return await _to_summary(query, state, uow, identity, t, day, settings)
    await query.answer()
    if query.message is not None:
        await query.message.answer(text, reply_markup=keyboard)
    return None


async def _to_summary(
    event: CallbackQuery | Message,
    state: FSMContext,
    uow: UnitOfWork,
    identity: Identity,
    t: Translator,
    day: Any,
    settings: Deployment,
) -> Any:
    draft = draft_of(await state.get_data())
    if draft is None:
        return await _expired(event, state, t)
    text, keyboard = await summarise(state, uow, pack_of(settings), _cadre(identity), draft, t, day)
    if isinstance(event, CallbackQuery):
        await event.answer()
        if event.message is not None:
            await event.message.answer(text, reply_markup=keyboard)
        return None
    return event.answer(text, reply_markup=keyboard)


async def _expired(event: CallbackQuery | Message, state: FSMContext, t: Translator) -> Any:
    await state.clear()
    text = t("This request is no longer open; start again with /leave.")
    if isinstance(event, CallbackQuery):
        return event.answer(text, show_alert=True)
    return event.answer(text)


async def typed_date(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    identity: Identity,
    t: Translator,
    clock: Clock,
    settings: Deployment,
) -> Any:
    day = today(clock, settings)
    text = (message.text or "").strip()
    current = await state.get_state()
    if current == LeaveFlow.end.state and text.rstrip("天").isdigit():
        data = await state.get_data()
        start = parse_date(data.get("start", ""), day) or day
        end = start + timedelta(days=max(1, int(text.rstrip("天"))) - 1)
    else:
        parsed = parse_date(text, day)
        if parsed is None:
            return message.answer(
                t("I could not read that date. Dates look like 12-01, 12/1 or 12月1日.")
            )
        if current == LeaveFlow.start.state:
            await state.update_data(start=parsed.isoformat())
            prompt, keyboard = await ask_end(state, t)
            return message.answer(prompt, reply_markup=keyboard)
        end = parsed
    await state.update_data(end=end.isoformat())
    prompt, keyboard = await ask_reason(state, t)
    return message.answer(prompt, reply_markup=keyboard)


async def typed_reason(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    identity: Identity,
    t: Translator,
    clock: Clock,
    settings: Deployment,
) -> Any:
    await state.update_data(reason=(message.text or "").strip())
    return await _to_summary(message, state, uow, identity, t, today(clock, settings), settings)


async def _confirm(
    query: CallbackQuery,
    submit: bool,
    state: FSMContext,
    uow: UnitOfWork,
    identity: Identity,
    t: Translator,
    clock: Clock,
    settings: Deployment,
) -> Any:
    draft = (
        draft_of(await state.get_data())
        if await state.get_state() == LeaveFlow.confirm.state
        else None
    )
    await state.clear()
    if not submit:
        await query.answer()
        if query.message is not None and hasattr(query.message, "edit_text"):
            await query.message.edit_text(t("Cancelled; nothing was sent."))
        return None
    if draft is None:
        return query.answer(
            t("This request is no longer open; start again with /leave."), show_alert=True
        )
    try:
        calendar = await load_calendar(uow.session)
        leave, leave_plan = await leaves.submit(
            uow.session,
            pack_of(settings),
            calendar,
            _cadre(identity),
            draft,
            clock.now(),
            settings.zone,
        )
    except DomainError as exc:
        return query.answer(error_text(t, exc), show_alert=True)
    await uow.commit()
    names = t(", ").join(a.name for a in leave_plan.approvers) or "—"
    post = post_label(t, leave.waiting_on.value)
    if draft.emergency:
        due = short_date(
            t,
            today(clock, settings)
            + timedelta(days=pack_of(settings).leave.emergency_completion_days),
        )
        text = t(
            "Emergency leave #{id} is in effect; {post} ({names}) has been told. Complete the "
            "written request by {due}: /myleave, then 'Complete'.",
            id=leave.id,
            post=post,
            names=names,
            due=due,
        )
    else:
        text = t(
            "Leave request #{id} sent to {post} ({names}). You will hear the decision here.",
            id=leave.id,
            post=post,
            names=names,
        )
    await query.answer()
    if query.message is not None and hasattr(query.message, "edit_reply_markup"):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(text)
    return None


async def my_leave(
    message: Message,
    uow: UnitOfWork,
    identity: Identity,
    t: Translator,
    clock: Clock,
    settings: Deployment,
) -> Any:
    requests = await leaves.my_requests(uow.session, _cadre(identity))
    if not requests:
        return message.answer(t("You have no leave requests yet. Send /leave to ask for leave."))
    day = today(clock, settings)
    lines, buttons = [t("Your leave requests:")], []
    for leave in requests:
        lines.append(
            f"#{leave.id} {kind_label(t, leave.kind.value)} "
            f"{date_range(t, leave.start_date, leave.end_date)} · {t(LEAVE_STATES[leave.state])}"
        )
        assert leave.id is not None
        if leaves.withdrawable(leave, day):
            buttons.append(
                InlineKeyboardButton(
                    text=t("Withdraw #{id}", id=leave.id),
                    callback_data=LeaveOwn(action="withdraw", leave_id=leave.id).pack(),
                )
            )
        if leave.state == LeaveState.TO_COMPLETE and leave.written_at is None:
            buttons.append(
                InlineKeyboardButton(
                    text=t("Complete #{id}", id=leave.id),
                    callback_data=LeaveOwn(action="complete", leave_id=leave.id).pack(),
                )
            )
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[b] for b in buttons]) if buttons else None
    return message.answer("\n".join(lines), reply_markup=keyboard)


async def own_pressed(
    query: CallbackQuery,
    callback_data: LeaveOwn,
    state: FSMContext,
    uow: UnitOfWork,
    identity: Identity,
    t: Translator,
    clock: Clock,
    settings: Deployment,
) -> Any:
    if callback_data.action == "complete":
        await state.set_state(LeaveFlow.complete)
        await state.update_data(leave_id=callback_data.leave_id)
        await query.answer()
        if query.message is not None:
            await query.message.answer(
                t(
                    "Write the reason for emergency leave #{id}; this is your written request.",
                    id=callback_data.leave_id,
                )
            )
        return None
    try:
        # The service checks the request is this cadre's own: a forged id finds nothing.
        await leaves.withdraw(
            uow.session, callback_data.leave_id, _cadre(identity), clock.now(), settings.zone
        )
    except DomainError as exc:
        return query.answer(error_text(t, exc), show_alert=True)
    await uow.commit()
    await query.answer(t("Leave request #{id} withdrawn.", id=callback_data.leave_id))
    if query.message is not None:
        await query.message.answer(t("Leave request #{id} withdrawn.", id=callback_data.leave_id))
    return None


async def typed_completion(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    identity: Identity,
    t: Translator,
    clock: Clock,
    settings: Deployment,
) -> Any:
    data = await state.get_data()
    try:
        calendar = await load_calendar(uow.session)
        leave = await leaves.complete_emergency(
            uow.session,
            pack_of(settings),
            calendar,
            int(data["leave_id"]),
            _cadre(identity),
            message.text or "",
            clock.now(),
        )
    except DomainError as exc:
        if exc.code != "leave_reason_too_long":
            await state.clear()
        return message.answer(error_text(t, exc))
    await state.clear()
    return message.answer(
        t(
            "Written request for emergency leave #{id} sent; the approver decides it now.",
            id=leave.id,
        )
    )


async def back(
    message: Message,
    uow: UnitOfWork,
    identity: Identity,
    t: Translator,
    clock: Clock,
    settings: Deployment,
) -> Any:
    try:
        leave = await leaves.report_back(uow.session, _cadre(identity), clock.now(), settings.zone)
    except DomainError as exc:
        return message.answer(error_text(t, exc))
    assert leave.returned_on is not None
    text = t(
        "Welcome back. Return reported on {day}; leave #{id} is closed.",
        day=short_date(t, leave.returned_on),
        id=leave.id,
    )
    if leave.state == LeaveState.TO_COMPLETE:
        text += "\n" + t("The written request for this emergency leave is still owed: /myleave.")
    return message.answer(text)


def build_router() -> Router:
    router = Router(name="leave")
    cadres = HasRole(Role.CADRE)
    router.message.filter(cadres, F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(cadres)
    router.message.register(start_leave, Command("leave"))
    router.message.register(emergency_command, Command("emergency"))
    router.message.register(my_leave, Command("myleave"))
    router.message.register(back, Command("back"))
    router.callback_query.register(step_pressed, LeaveStep.filter())
    router.callback_query.register(own_pressed, LeaveOwn.filter())
    # Typed answers inside the flow; a command typed meanwhile goes to its own handler.
    answer = F.text & ~F.text.startswith("/")
    router.message.register(typed_date, LeaveFlow.start, answer)
    router.message.register(typed_date, LeaveFlow.end, answer)
    router.message.register(typed_reason, LeaveFlow.reason, answer)
    router.message.register(typed_completion, LeaveFlow.complete, answer)
    return router
