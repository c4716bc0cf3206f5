"""/myleave, /back and the cadre's buttons on their own requests: withdraw, complete the
written request of an emergency leave (补办), report back (销假)."""

from __future__ import annotations

from handlers.core.request import Request
from handlers.core.views import Button, Edit, Reply, Text, Toast
from handlers.formatting import date_range, short_date
from handlers.labels import LEAVE_STATES
from handlers.leave.flow import LeaveFlow
from handlers.leave.payloads import LeaveOwn, LeaveWithdraw
from handlers.leave.views import error_text, kind_label
from locales import N_
from models.enums import LeaveState
from services.calendar import load_calendar
from services.errors import DomainError
from services.leave import requests as leaves
from services.leave import withdrawal

YES = N_("Yes, go ahead")
ASK_WITHDRAW = {
    LeaveState.PENDING: N_("Withdraw leave request #{id}? The approver will be told."),
    LeaveState.APPROVED: N_("Withdraw approved leave #{id}? The approver will be told."),
}


async def my_leave(req: Request) -> Reply:
    t = req.t
    mine = await leaves.my_leaves(req.session, req.cadre_id, req.today())
    if not mine:
        return Reply.text(t("You have no leave requests yet. Send /leave to ask for leave."))
    lines, buttons = [t("Your leave requests:")], []
    for leave in mine:
        lines.append(
            f"#{leave.leave_id} {kind_label(t, leave.kind.value)} "
            f"{date_range(t, leave.start, leave.end)} · {t(LEAVE_STATES[leave.state])}"
        )
        if leave.withdrawable:
            payload = LeaveOwn(action="withdraw", leave_id=leave.leave_id).pack()
            buttons.append(Button(t("Withdraw #{id}", id=leave.leave_id), payload))
        if leave.completable:
            payload = LeaveOwn(action="complete", leave_id=leave.leave_id).pack()
            buttons.append(Button(t("Complete #{id}", id=leave.leave_id), payload))
    return Reply.text("\n".join(lines), tuple((b,) for b in buttons))


async def own_pressed(req: Request) -> Reply:
    t = req.t
    pressed = req.press(LeaveOwn)
    if pressed.action == "complete":
        await req.state.set_state(LeaveFlow.complete)
        await req.state.update_data(leave_id=pressed.leave_id)
        return Reply.text(
            t(
                "Write the reason for emergency leave #{id}; this is your written request.",
                id=pressed.leave_id,
            )
        )
    try:
        # The service checks the request is this cadre's own: a forged id finds nothing.
        leave = await withdrawal.to_withdraw(
            req.session, pressed.leave_id, req.cadre_id, req.now(), req.zone
        )
    except DomainError as exc:
        return Reply.toast(error_text(t, exc), alert=True)
    # Undoing a request (an approved one above all) is one tap too many: asked first.
    question = ASK_WITHDRAW.get(leave.state, ASK_WITHDRAW[LeaveState.PENDING])
    yes, no = (LeaveWithdraw(pressed.leave_id, leave.state.value, yes=a) for a in (True, False))
    buttons = ((Button(t(YES), yes.pack()), Button(t("Cancel"), no.pack())),)
    return Reply([Toast(), Text(t(question, id=pressed.leave_id), buttons)])


async def withdraw_answered(req: Request) -> Reply:
    t = req.t
    pressed = req.press(LeaveWithdraw)
    if not pressed.yes:
        kept = t("Not withdrawn; leave request #{id} stays as it was.", id=pressed.leave_id)
        return Reply([Toast(), Edit(kept)])
    try:
        expected = LeaveState(pressed.state)
        # Re-checked now: still this cadre's, still withdrawable, still in the state asked.
        await withdrawal.withdraw(
            req.session, pressed.leave_id, req.cadre_id, req.now(), req.zone, expected
        )
    except ValueError:
        return Reply.toast(t("That choice is no longer available."), alert=True)
    except DomainError as exc:
        return Reply([Toast(error_text(t, exc), alert=True), Edit(error_text(t, exc))])
    done = t("Leave request #{id} withdrawn.", id=pressed.leave_id)
    return Reply([Toast(done), Edit(done)])


async def typed_completion(req: Request) -> Reply:
    data = await req.state.get_data()
    try:
        calendar = await load_calendar(req.session)
        leave = await leaves.complete_emergency(
            req.session,
            req.pack,
            calendar,
            int(data["leave_id"]),
            req.cadre_id,
            req.event.text,
            req.now(),
        )
    except DomainError as exc:
        if exc.code != "leave_reason_too_long":
            await req.state.clear()
        return Reply.text(error_text(req.t, exc))
    await req.state.clear()
    return Reply.text(
        req.t(
            "Written request for emergency leave #{id} sent; the approver decides it now.",
            id=leave.id,
        )
    )


async def back(req: Request) -> Reply:
    t = req.t
    try:
        leave = await leaves.report_back(req.session, req.cadre_id, req.now(), req.zone)
    except DomainError as exc:
        return Reply.text(error_text(t, exc))
    assert leave.returned_on is not None
    text = t(
        "Welcome back. Return reported on {day}; leave #{id} is closed.",
        day=short_date(t, leave.returned_on),
        id=leave.id,
    )
    if leave.state == LeaveState.TO_COMPLETE:
        text += "\n" + t("The written request for this emergency leave is still owed: /myleave.")
    return Reply.text(text)
