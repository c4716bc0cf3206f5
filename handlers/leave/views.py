"""What leave looks like in chat: the summary before sending, the approver's card, and the
words for every refusal a leave service can give."""

from __future__ import annotations

from html import escape
from typing import Any

from handlers.core.views import Button, Keyboard
from handlers.formatting import date_range, short_date
from handlers.labels import APPROVER_POSTS, LEAVE_KINDS
from handlers.leave.payloads import LeaveDecision
from locales import N_, Translator
from models.enums import ApproverKind, LeaveKind
from services.errors import DomainError
from services.leave.plan import LeavePlan, card_params

ERRORS = {
    "leave_kind_unknown": N_("That kind of leave is not in the policy in force."),
    "leave_end_before_start": N_(
        "The end date is before the start date. Please pick the dates again."
    ),
    "leave_too_long": N_("A leave can span at most {limit} days. Please pick the dates again."),
    "leave_start_in_past": N_(
        "The start date has passed. Leave is asked in advance; if you are already away "
        "because of an emergency, use /emergency."
    ),
    "leave_reason_too_long": N_("The reason is {length} characters; at most {limit}, please."),
    "leave_no_working_days": N_("Those dates hold no working day, so no leave is needed."),
    "leave_overlaps": N_(
        "You already have leave #{leave_id} from {start} to {end} on some of these days. "
        "Pick other dates, or withdraw that one in /myleave."
    ),
    "emergency_starts_today": N_("Emergency leave starts today."),
    "leave_unknown": N_("That leave request does not exist (any more)."),
    "leave_not_withdrawable": N_(
        "Only a request still waiting, or approved leave that has not started, can be withdrawn."
    ),
    "leave_changed": N_(
        "Leave request #{leave_id} has changed since you were asked; nothing was done. "
        "See /myleave."
    ),
    "no_leave_to_close": N_("You have no leave in effect to report back from."),
    "leave_not_to_complete": N_("That request has no written request owed."),
    "leave_reason_required": N_("Please write the reason for the leave."),
    "not_your_decision": N_("You do not hold the post that decides this request."),
    "reject_needs_reason": N_("Please give a reason for rejecting."),
    "leave_not_written": N_(
        "The written request for this emergency leave has not been made yet; you can "
        "decide it once the cadre has completed it."
    ),
    "leave_days_invalid": N_("The leave must last at least one day."),
    "leave_cadre_out_of_post": N_(
        "Leave request #{leave_id} cannot be decided: the cadre is no longer in post. "
        "It will be closed."
    ),
}


def error_text(t: Translator, error: DomainError) -> str:
    message = ERRORS.get(error.code)
    if message is None:
        return t("Sorry, that did not work ({code}).", code=error.code)
    params = dict(error.params)
    for key in ("start", "end"):
        if isinstance(params.get(key), str):
            params[key] = short_date(t, params[key])
    return t(message, **params)


def kind_label(t: Translator, kind: str) -> str:
    return t(LEAVE_KINDS[LeaveKind(kind)])


def post_label(t: Translator, post: str) -> str:
    return t(APPROVER_POSTS[ApproverKind(post)])


def _warnings(t: Translator, params: dict[str, Any]) -> list[str]:
    lines = []
    for month in params["months"]:
        line = t(
            "Days in the village in {month} if approved: {counted} of the {minimum} required",
            month=t("{month}/{year}", month=month["month"], year=month["year"]),
            counted=month["counted"],
            minimum=month["minimum"],
        )
        if month["counted"] < month["minimum"]:
            if month["possible"] >= month["minimum"]:
                line += " ⚠️ " + t("short unless weekends in the village are recorded")
            else:
                line += " ⚠️ " + t("the minimum can no longer be reached")
        lines.append(line)
    if params["empty_days"]:
        days = t(", ").join(short_date(t, d) for d in params["empty_days"])
        lines.append("⚠️ " + t("Nobody from the team would be in the village on: {days}", days=days))
    if params["replacement"]:
        lines.append("⚠️ " + t("15 days or more: the dispatching unit must arrange a replacement."))
    return lines


def card_text(t: Translator, params: dict[str, Any]) -> str:
    """The request as an approver sees it (and as the cadre sees it before sending)."""
    head = (
        t("Leave request #{id}", id=params["leave_id"])
        if params.get("leave_id")
        else t("Leave request")
    )
    lines = [
        f"<b>{head}</b>",
        f"{escape(params['cadre'])} · {escape(params['place'])}",
        t("Kind: {kind}", kind=kind_label(t, params["kind"])),
        t(
            "Dates: {dates} ({days} days)",
            dates=date_range(t, params["start"], params["end"]),
            days=params["days"],
        ),
    ]
    if params.get("reason"):
        lines.append(t("Reason: {reason}", reason=escape(params["reason"])))
    return "\n".join(lines + _warnings(t, params))


def approver_card(t: Translator, params: dict[str, Any]) -> tuple[str, Keyboard]:
    """The one card an approver sees, sent by the relay or opened from /pending: with the
    reply hint and its buttons once decidable, without them while an emergency leave's
    written request is still owed."""
    if not params.get("written", True):
        head = "🚨 " + t("Emergency leave, already in effect; the written request is still owed.")
        return head + "\n" + card_text(t, params), ()
    text = card_text(t, params)
    if params.get("waited_hours"):
        names = params.get("waited_on") or []
        who = t(", ").join(escape(n) for n in names) or post_label(t, params["waited_post"])
        waited = t(
            "Waited {hours} hours on {who}; now yours to decide.",
            hours=params["waited_hours"],
            who=who,
        )
        text = "⏫ " + waited + "\n" + text
    if params.get("emergency"):
        text += "\n" + t("Emergency leave, in effect since it was asked; written request now made.")
    text += "\n\n" + escape(
        t('Reply "同意" to approve or "驳回 <reason>" to reject, or press a button.')
    )
    return text, decision_keyboard(t, params["leave_id"])


def decision_keyboard(t: Translator, leave_id: int) -> Keyboard:
    return (
        (
            Button(t("Approve"), LeaveDecision(action="ok", leave_id=leave_id).pack()),
            Button(t("Reject"), LeaveDecision(action="no", leave_id=leave_id).pack()),
        ),
    )


def summary_text(t: Translator, leave_plan: LeavePlan) -> str:
    params = card_params(leave_plan)
    names = t(", ").join(escape(a.name) for a in leave_plan.approvers) or t("nobody registered yet")
    lines = [card_text(t, params)]
    lines.append(
        t(
            "It goes to: {post} ({names})",
            post=post_label(t, params["post"]),
            names=names,
        )
    )
    unreachable = [a.name for a in leave_plan.approvers if not a.reachable]
    if not leave_plan.approvers or len(unreachable) == len(leave_plan.approvers):
        lines.append(
            "⚠️ "
            + t(
                "The approver has not registered with this bot yet; please also tell them directly."
            )
        )
    lines.append(t("Nothing is sent until you press Submit."))
    if leave_plan.draft.emergency:
        lines.append(
            t(
                "Emergency leave takes effect at once; "
                "complete the written request within the deadline."
            )
        )
    return "\n".join(lines)
