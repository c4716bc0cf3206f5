"""/leave and /emergency: asking for leave, in one line or guided step by step (请假)."""

from __future__ import annotations

from datetime import date
from html import escape

from handlers.core.conversation import MESSAGE_EXPIRED
from handlers.core.request import Request
from handlers.core.routing import Router
from handlers.core.views import Edit, Keyboard, Reply, Text, Toast
from handlers.formatting import short_date
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
    end_after,
    parse_date,
    parse_kind,
    parse_one_line,
)
from handlers.leave.payloads import LeaveOwn, LeaveStep, LeaveWithdraw
from handlers.leave.views import error_text, post_label
from locales import N_
from models.enums import LeaveKind, Role
from services.calendar import load_calendar
from services.errors import DomainError
from services.leave import requests as leaves
from services.leave.plan import MAX_LEAVE_DAYS, LeaveDraft

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
EXPIRED = N_("This request is no longer open; start again with /leave.")
STALE_CHOICE = N_("That choice is no longer available.")
EMERGENCY_USAGE = N_(
    "To report emergency leave in one line: /emergency <days> [kind] <reason>, for example "
    "/emergency 2 病假 发烧. Or send /emergency alone to be guided."
)
TOO_MANY_DAYS = N_(
    "A leave can span at most {limit} days. Type the number of days (for example 3) or the "
    "last day of the leave (for example 12-05)."
)


def _days(text: str) -> int | None:
    """A typed or pressed number of days ("3", "3天", "３"); None when it is not one. A
    number too long for int() (over 4300 digits) counts as merely too many days."""
    text = text.strip().removesuffix("天")
    if not text.isdecimal():
        return None
    return int(text) if len(text) <= 18 else 10**18


def _ask(text: str, keyboard: Keyboard) -> Reply:
    """A step of the draft: its buttons are taken only while it is the draft's message."""
    return Reply([Text(text, keyboard, remember=LeaveFlow.message if keyboard else None)])


async def _summary(req: Request, draft: LeaveDraft) -> Reply:
    text, keyboard = await summarise(
        req.state, req.uow, req.pack, req.cadre_id, draft, req.t, req.today()
    )
    return _ask(text, keyboard)


async def start_leave(req: Request) -> Reply:
    t = req.t
    await req.state.clear()
    args = req.event.args
    if not args:
        return _ask(t("What kind of leave?"), kind_keyboard(t))
    first = args.split(maxsplit=1)
    if first[0].lower() in EMERGENCY_WORDS:
        return await _emergency(req, first[1] if len(first) > 1 else "")
    try:
        line = parse_one_line(args, req.today())
    except OneLineError as exc:
        # These hints show <placeholders>: plain text, escaped for the rich-text markup.
        return Reply.text(escape(t(ONE_LINE_ERRORS[exc.part], text=exc.text)))
    return await _summary(req, LeaveDraft(line.kind, line.start, line.end, line.reason))


async def emergency_command(req: Request) -> Reply:
    await req.state.clear()
    return await _emergency(req, req.event.args)


async def _emergency(req: Request, args: str) -> Reply:
    """``/emergency <days> [kind] <reason>``: starts today (ganzhou Art.17, 电话或短信请假)."""
    t, day = req.t, req.today()
    words = args.split(maxsplit=2)
    if not words or not words[0].rstrip("天").isdigit():
        await req.state.update_data(
            kind=LeaveKind.PERSONAL.value, start=day.isoformat(), emergency=True
        )
        await req.state.set_state(LeaveFlow.end)
        return _ask(t("Emergency leave from today. For how many days?"), length_keyboard(t))
    days = _days(words[0])
    end = end_after(day, days) if days is not None and days <= MAX_LEAVE_DAYS else None
    if end is None:
        # /emergency 99999999999999999999999: the usage line, as for other bad input.
        return Reply.text(escape(t(EMERGENCY_USAGE)))
    kind = parse_kind(words[1]) if len(words) > 1 else None
    reason = " ".join(words[2:] if kind else words[1:])
    draft = LeaveDraft(kind or LeaveKind.PERSONAL, day, end, reason, emergency=True)
    return await _summary(req, draft)


async def step_pressed(req: Request) -> Reply:
    t, day, state = req.t, req.today(), req.state
    pressed = req.press(LeaveStep)
    if not await req.pressed_on(LeaveFlow.message or ""):
        # An older step, or a draft left for something else: nothing changes.
        return Reply.toast(t(MESSAGE_EXPIRED), alert=True)
    step, value = pressed.step, pressed.value
    if step == "confirm":
        return await _confirm(req, value == "submit")
    if step == "kind":
        if value != "emergency" and value not in {k.value for k in LeaveKind}:
            return Reply.toast(t(STALE_CHOICE), alert=True)  # a forged kind
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
        if not _is_date(value):
            return Reply.toast(t(STALE_CHOICE), alert=True)
        await state.update_data(start=value)
        text, keyboard = await ask_end(state, t)
    elif step == "days":
        data = await state.get_data()
        if "start" not in data:
            await state.clear()
            return Reply.toast(t(EXPIRED), alert=True)
        days = _days(value)
        start = parse_date(data["start"], day) or day
        end = end_after(start, days) if days is not None and days <= MAX_LEAVE_DAYS else None
        if end is None:
            return Reply.toast(t(STALE_CHOICE), alert=True)  # no button says that
        await state.update_data(end=end.isoformat())
        text, keyboard = await ask_reason(state, t)
    else:  # reason skipped
        await state.update_data(reason="")
        return await _to_summary(req)
    return _ask(text, keyboard)


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


async def _to_summary(req: Request) -> Reply:
    draft = draft_of(await req.state.get_data())
    if draft is None:
        await req.state.clear()
        text = req.t(EXPIRED)
        return Reply.toast(text, alert=True) if req.event.payload else Reply.text(text)
    return await _summary(req, draft)


async def typed_date(req: Request) -> Reply:
    t, day, state = req.t, req.today(), req.state
    text = req.event.text.strip()
    current = await req.current_state()
    days = _days(text) if current == LeaveFlow.end.state else None
    if days is not None:
        data = await state.get_data()
        start = parse_date(data.get("start", ""), day) or day
        found = end_after(start, days) if days <= MAX_LEAVE_DAYS else None
        if found is None:
            # One clear line and the way to correct it; the flow stays at this step.
            return Reply.text(t(TOO_MANY_DAYS, limit=MAX_LEAVE_DAYS))
        end = found
    else:
        parsed = parse_date(text, day)
        if parsed is None:
            return Reply.text(
                t("I could not read that date. Dates look like 12-01, 12/1 or 12月1日.")
            )
        if current == LeaveFlow.start.state:
            await state.update_data(start=parsed.isoformat())
            prompt, keyboard = await ask_end(state, t)
            return _ask(prompt, keyboard)
        end = parsed
    await state.update_data(end=end.isoformat())
    prompt, keyboard = await ask_reason(state, t)
    return _ask(prompt, keyboard)


async def typed_reason(req: Request) -> Reply:
    await req.state.update_data(reason=req.event.text.strip())
    return await _to_summary(req)


async def _confirm(req: Request, submit: bool) -> Reply:
    t, state = req.t, req.state
    current = await req.current_state()
    draft = draft_of(await state.get_data()) if current == LeaveFlow.confirm.state else None
    if current is None or current.startswith(f"{LeaveFlow.__name__}:"):
        # Another flow's conversation is not this press's to end (a draft's summary the
        # relay sent, so unknown by id, pressed after the person began a visit).
        await state.clear()
    if not submit:
        return Reply([Edit(t("Cancelled; nothing was sent."))])
    if draft is None:
        return Reply.toast(t(EXPIRED), alert=True)
    try:
        calendar = await load_calendar(req.session)
        leave, leave_plan = await leaves.submit(
            req.session, req.pack, calendar, req.cadre_id, draft, req.now(), req.zone
        )
    except DomainError as exc:
        return Reply.toast(error_text(t, exc), alert=True)
    names = t(", ").join(a.name for a in leave_plan.approvers) or "—"
    post = post_label(t, leave.waiting_on.value)
    if draft.emergency:
        due = short_date(t, leaves.written_request_due(req.pack, req.today()))
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
    return Reply([Toast(), Edit(None), Text(text)])


def routes() -> Router:
    from handlers.leave import own

    router = Router("leave")
    cadres = {Role.CADRE}
    router.command("leave", start_leave, roles=cadres)
    router.command("emergency", emergency_command, roles=cadres)
    router.command("myleave", own.my_leave, roles=cadres)
    router.command("back", own.back, roles=cadres)
    router.press(LeaveStep, step_pressed, roles=cadres)
    router.press(LeaveOwn, own.own_pressed, roles=cadres)
    router.press(LeaveWithdraw, own.withdraw_answered, roles=cadres)
    # Typed answers inside the flow; a command typed meanwhile goes to its own handler.
    router.typed(LeaveFlow.start, typed_date, roles=cadres)
    router.typed(LeaveFlow.end, typed_date, roles=cadres)
    router.typed(LeaveFlow.reason, typed_reason, roles=cadres)
    router.typed(LeaveFlow.complete, own.typed_completion, roles=cadres)
    return router
