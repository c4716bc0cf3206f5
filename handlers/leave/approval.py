"""The approver's side: decide by button, by replying to the card, or by typing 同意 /
驳回 in the private chat (any channel), and /pending.

Every press is re-checked by the service (who holds which post for which place); a press
the server refuses is answered and recorded, never acted on.
"""

from __future__ import annotations

import re
from html import escape

from handlers.context import Deployment
from handlers.core.conversation import State, Steps
from handlers.core.payloads import INT_LIMIT
from handlers.core.request import Request
from handlers.core.routing import Router, Skip
from handlers.core.views import Button, Edit, Reply, Toast
from handlers.formatting import date_range, stamp
from handlers.leave.payloads import LeaveDecision
from handlers.leave.views import approver_card, error_text, kind_label
from locales import Translator
from models.enums import Role
from services.calendar import load_calendar
from services.errors import DomainError
from services.leave import approvals

APPROVE_WORDS = {"同意", "批准", "准假", "approve", "approved", "ok", "yes"}
REJECT = re.compile(r"^(驳回|不同意|不批准|reject)\s*[:：,，]?\s*(.*)$", re.IGNORECASE | re.DOTALL)

# Typed in the private chat without replying to anything: "同意", "同意 #12", "驳回 理由",
# "驳回 #12 理由". Stricter than a reply to a card ("ok" alone decides nothing here).
APPROVE_TYPED = re.compile(
    r"^(?:同意|批准|准假|approve)\s*(?:#\s*(\d+))?\s*[。.!！]?$", re.IGNORECASE
)
REJECT_TYPED = re.compile(
    r"^(?:驳回|不同意|不批准|reject)\s*(?:#\s*(\d+))?\s*[:：,，]?\s*(.*)$",
    re.IGNORECASE | re.DOTALL,
)


class RejectFlow(Steps):
    command = "pending"
    reason = State()


def _verdict(t: Translator, decision: approvals.Decision, settings: Deployment) -> str:
    when = stamp(t, decision.decided_at, settings.zone) if decision.decided_at else ""
    if decision.approved:
        return t("Approved by {name} at {when}.", name=decision.decided_by, when=when)
    return t("Rejected by {name} at {when}.", name=decision.decided_by, when=when)


# What became of a decision attempt, for what the card should show afterwards.
DONE, DECIDED_BEFORE, REFUSED = "done", "decided_before", "refused"


async def _decide(req: Request, leave_id: int, approve: bool, note: str) -> tuple[str, str]:
    """What to tell the presser, and the outcome (DONE, DECIDED_BEFORE or REFUSED)."""
    t, identity, now = req.t, req.identity, req.now()
    if identity is None:
        await approvals.refuse_press(req.session, None, leave_id, "stranger", now)
        return error_text(t, DomainError("not_your_decision")), REFUSED
    try:
        decision = await approvals.decide(
            req.session,
            req.pack,
            leave_id,
            identity.person_id,
            approve=approve,
            note=note,
            now=now,
            zone=req.zone,
        )
    except DomainError as exc:
        if exc.code in ("not_your_decision", "leave_unknown"):
            await approvals.refuse_press(req.session, identity.person_id, leave_id, exc.code, now)
            # The same words for an id that does not exist: a forger learns nothing.
            return error_text(t, DomainError("not_your_decision")), REFUSED
        return error_text(t, exc), REFUSED
    if not decision.decided_now:
        return t(
            "Already decided: {verdict}", verdict=_verdict(t, decision, req.settings)
        ), DECIDED_BEFORE
    return _verdict(t, decision, req.settings), DONE


async def decision_pressed(req: Request) -> Reply:
    t, identity = req.t, req.identity
    pressed = req.press(LeaveDecision)
    leave_id = pressed.leave_id
    if pressed.action == "show":
        return await _show_card(req, leave_id)
    if pressed.action == "no":
        # Authority is checked now too, so nobody is asked for a reason they cannot give.
        allowed = identity is not None and await approvals.may_decide_id(
            req.session, req.pack, leave_id, identity.person_id
        )
        if not allowed:
            text, _ = await _decide(req, leave_id, False, "-")
            return Reply.toast(text, alert=True)
        await req.state.set_state(RejectFlow.reason)
        await req.state.update_data(leave_id=leave_id)
        return Reply.text(t("Why is leave #{id} rejected? Write the reason:", id=leave_id))
    text, outcome = await _decide(req, leave_id, True, "")
    reply = Reply([Toast(text, alert=outcome != DONE)])
    origin = req.event.origin
    # The card itself shows the outcome and loses its buttons; a refused press leaves it.
    if outcome != REFUSED and origin is not None:
        reply.add(Edit(f"{origin.text}\n\n<b>{text}</b>"))
    return reply


async def typed_rejection(req: Request) -> Reply:
    data = await req.state.get_data()
    await req.state.clear()
    text, _ = await _decide(req, int(data["leave_id"]), False, req.event.text)
    return Reply.text(text)


def _card_leave(payloads: tuple[str, ...]) -> int | None:
    for data in payloads:
        if LeaveDecision.matches(data):
            decision = LeaveDecision.unpack(data)
            return decision.leave_id if decision is not None else None
    return None


async def replied_to_card(req: Request) -> Reply:
    reply_to = req.event.reply_to
    assert reply_to is not None
    # An undecided card carries its request in its buttons: this also covers a card opened
    # from /pending, and one replied to before the relay recorded its message id. The
    # decision itself re-checks who may take it.
    leave_id = _card_leave(reply_to.payloads)
    if leave_id is None:
        leave_id = await approvals.leave_of_card(
            req.session, req.event.chat_id, reply_to.message_id
        )
    if leave_id is None:
        raise Skip  # a reply to something else: not ours
    t = req.t
    words = req.event.text.strip()
    if words.lower().rstrip("。.!！") in APPROVE_WORDS:
        text, _ = await _decide(req, leave_id, True, "")
    elif match := REJECT.match(words):
        if not match.group(2).strip():
            return Reply.text(t('Please give the reason after the word, e.g. "驳回 时间冲突".'))
        text, _ = await _decide(req, leave_id, False, match.group(2))
    else:
        return Reply.text(escape(t('Reply "同意" to approve or "驳回 <reason>" to reject.')))
    return Reply.text(text)


def _waiting_line(t: Translator, leave: approvals.Waiting) -> str:
    return f"#{leave.leave_id} {escape(leave.cadre)} {date_range(t, leave.start, leave.end)}"


async def typed_decision(req: Request) -> Reply:
    """ "同意" or "驳回 理由" typed without replying to a card: decides the one request
    waiting for this approver, or the one named by #id; with several waiting, lists them.
    The decision is the button's (same service call, same notices, authority re-checked)."""
    event = req.event
    if event.reply_to is not None or await req.current_state() is not None:
        raise Skip  # a reply is about the message replied to; text in a flow is the flow's
    words = event.text.strip()
    if match := APPROVE_TYPED.match(words):
        approve, named, note = True, match.group(1), ""
    elif match := REJECT_TYPED.match(words):
        approve, named, note = False, match.group(1), match.group(2).strip()
    else:
        raise Skip
    t = req.t
    waiting = await approvals.pending_for(req.session, req.me.person_id)
    if named is None:
        if not waiting:
            return Reply.text(t("Nothing waits for your decision."))
        if len(waiting) > 1:
            lines = [t("Several requests wait for your decision:")]
            lines += [_waiting_line(t, leave) for leave in waiting]
            lines.append(
                escape(
                    t(
                        'Type "同意 #{id}" to approve one, or "驳回 #{id} reason" to reject it.',
                        id=waiting[0].leave_id,
                    )
                )
            )
            return Reply.text("\n".join(lines))
        leave_id = waiting[0].leave_id
    else:
        leave_id = int(named)
        if leave_id >= INT_LIMIT:
            # No request has an id beyond the id column's range, and the database would refuse
            # the number;
            # the same words as for any id that is not theirs.
            return Reply.text(error_text(t, DomainError("not_your_decision")))
    if not approve and not note:
        example = f"驳回 #{leave_id} 理由" if named else "驳回 理由"
        return Reply.text(escape(t('To reject, give the reason: "{example}".', example=example)))
    text, outcome = await _decide(req, leave_id, approve, note)
    target = next((leave for leave in waiting if leave.leave_id == leave_id), None)
    if target is not None and outcome != REFUSED:
        text = f"{_waiting_line(t, target)}\n{text}"
    return Reply.text(text)


async def pending(req: Request) -> Reply:
    t = req.t
    waiting = await approvals.pending_for(req.session, req.me.person_id)
    if not waiting:
        return Reply.text(t("Nothing waits for your decision."))
    lines = [t("Waiting for your decision, oldest first:")]
    buttons = []
    for leave in waiting:
        lines.append(
            f"#{leave.leave_id} {kind_label(t, leave.kind.value)} "
            f"{date_range(t, leave.start, leave.end)} ({leave.days})"
        )
        payload = LeaveDecision(action="show", leave_id=leave.leave_id).pack()
        buttons.append((Button(t("Open #{id}", id=leave.leave_id), payload),))
    return Reply.text("\n".join(lines), tuple(buttons))


async def _show_card(req: Request, leave_id: int) -> Reply:
    person_id = req.identity.person_id if req.identity else None
    params = await approvals.card_for_decider(
        req.session, req.pack, await load_calendar(req.session), leave_id, person_id
    )
    if params is None:
        return Reply.toast(error_text(req.t, DomainError("not_your_decision")), alert=True)
    return Reply.text(*approver_card(req.t, params))


def routes() -> Router:
    router = Router("leave_approval")
    # Anyone's press reaches the handler: a press by anyone else is refused *and recorded*.
    router.press(LeaveDecision, decision_pressed, registered=False)
    approvers = {Role.APPROVER}
    router.command("pending", pending, roles=approvers)
    router.typed(RejectFlow.reason, typed_rejection, roles=approvers)
    router.reply(replied_to_card, roles=approvers)
    # Plain "同意" / "驳回 理由": after the reply route; skips itself inside any flow.
    router.typed(None, typed_decision, roles=approvers)
    return router
