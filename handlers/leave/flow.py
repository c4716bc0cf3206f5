"""The guided /leave conversation, as one state table:

    kind ─▶ start ─▶ end (or length) ─▶ reason (or skip) ─▶ summary ─▶ submit | cancel
    emergency ─▶ length ──────────────▶ reason ───────────▶ summary ─▶ submit | cancel

Buttons and typed answers are equivalent at each step. The draft lives in the conversation's data;
nothing is written until Submit, and a problem found at the summary sends the cadre back to
the dates with the kind and reason kept.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from handlers.core.conversation import Conversation, State, Steps
from handlers.core.views import Button, Keyboard, rows_of
from handlers.formatting import short_date
from handlers.labels import LEAVE_KINDS
from handlers.leave.payloads import LeaveStep
from handlers.leave.views import error_text, summary_text
from locales import Translator
from models.db import UnitOfWork
from models.enums import LeaveKind
from services.calendar import load_calendar
from services.errors import DomainError
from services.leave.plan import LeaveDraft, plan
from services.policy import PolicyPack

LENGTHS = (1, 2, 3, 5, 7)
DATE_ERRORS = {
    "leave_end_before_start",
    "leave_too_long",
    "leave_start_in_past",
    "leave_overlaps",
    "leave_no_working_days",
    "emergency_starts_today",
}


class LeaveFlow(Steps):
    command = "leave"
    message = "leave_draft"
    start = State()
    end = State()
    reason = State()
    confirm = State()
    complete = State()  # typing the written request of an emergency leave (补办)


def _button(text: str, step: str, value: str) -> Button:
    return Button(text, LeaveStep(step=step, value=value).pack())


def kind_keyboard(t: Translator) -> Keyboard:
    kinds = [_button(t(LEAVE_KINDS[k]), "kind", k.value) for k in LeaveKind]
    return (
        *rows_of(kinds, 3),
        (_button("🚨 " + t("Emergency (already away)"), "kind", "emergency"),),
        (_button(t("Cancel"), "confirm", "cancel"),),
    )


def start_keyboard(t: Translator, today: date) -> Keyboard:
    days = [(t("Today"), today), (t("Tomorrow"), today + timedelta(days=1))]
    days.append((short_date(t, today + timedelta(days=2)), today + timedelta(days=2)))
    return (tuple(_button(label, "start", day.isoformat()) for label, day in days),)


def length_keyboard(t: Translator) -> Keyboard:
    buttons = [
        _button(t("{n} days", n=n) if n > 1 else t("1 day"), "days", str(n)) for n in LENGTHS
    ]
    return rows_of(buttons, 5)


def reason_keyboard(t: Translator) -> Keyboard:
    return ((_button(t("Skip"), "reason", "skip"),),)


def confirm_keyboard(t: Translator) -> Keyboard:
    return ((_button(t("Submit"), "confirm", "submit"), _button(t("Cancel"), "confirm", "cancel")),)


def draft_of(data: dict[str, Any]) -> LeaveDraft | None:
    try:
        return LeaveDraft(
            kind=LeaveKind(data["kind"]),
            start=date.fromisoformat(data["start"]),
            end=date.fromisoformat(data["end"]),
            reason=data.get("reason", ""),
            emergency=bool(data.get("emergency")),
        )
    except (KeyError, ValueError):
        return None


def data_of(draft: LeaveDraft) -> dict[str, Any]:
    return {
        "kind": draft.kind.value,
        "start": draft.start.isoformat(),
        "end": draft.end.isoformat(),
        "reason": draft.reason,
        "emergency": draft.emergency,
    }


async def ask_start(state: Conversation, t: Translator, today: date) -> tuple[str, Keyboard]:
    await state.set_state(LeaveFlow.start)
    return (
        t("From which day? Press a button, or type a date like 12-01, 12/1 or 12月1日."),
        start_keyboard(t, today),
    )


async def ask_end(state: Conversation, t: Translator) -> tuple[str, Keyboard]:
    await state.set_state(LeaveFlow.end)
    return (
        t("For how long? Press a button, or type the last day of the leave."),
        length_keyboard(t),
    )


async def ask_reason(state: Conversation, t: Translator) -> tuple[str, Keyboard]:
    await state.set_state(LeaveFlow.reason)
    return t("The reason, in a few words (or Skip):"), reason_keyboard(t)


async def summarise(
    state: Conversation,
    uow: UnitOfWork,
    pack: PolicyPack,
    cadre_id: int,
    draft: LeaveDraft,
    t: Translator,
    today: date,
) -> tuple[str, Keyboard]:
    """The summary with Submit/Cancel; or, when a check fails, the reason and the way back."""
    await state.update_data(**data_of(draft))
    try:
        calendar = await load_calendar(uow.session)
        leave_plan = await plan(uow.session, pack, calendar, cadre_id, draft, today)
    except DomainError as exc:
        text = error_text(t, exc)
        if exc.code in DATE_ERRORS and not draft.emergency:
            prompt, keyboard = await ask_start(state, t, today)
            return f"{text}\n\n{prompt}", keyboard
        if exc.code == "leave_reason_too_long":
            prompt, keyboard = await ask_reason(state, t)
            return f"{text}\n\n{prompt}", keyboard
        await state.clear()
        return text, ()
    await state.set_state(LeaveFlow.confirm)
    return summary_text(t, leave_plan), confirm_keyboard(t)
