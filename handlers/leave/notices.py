"""Leave messages the relay sends to people other than the one acting."""

from __future__ import annotations

from html import escape
from typing import Any

from handlers.formatting import date_range, short_date
from handlers.leave.views import approver_card, kind_label
from handlers.notices import Rendered, notice
from locales import Translator


@notice("leave.card")
def leave_card(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(*approver_card(t, {**params, "written": True}))


@notice("leave.emergency")
def leave_emergency(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(*approver_card(t, {**params, "written": False}))


@notice("leave.decided")
def leave_decided(t: Translator, params: dict[str, Any]) -> Rendered:
    dates = date_range(t, params["start"], params["end"])
    kind = kind_label(t, params["kind"])
    if params["approved"]:
        text = "✅ " + t(
            "Your {kind} ({dates}) is approved by {approver}.",
            kind=kind,
            dates=dates,
            approver=escape(params["approver"]),
        )
        text += "\n" + t("Send /back when you are back in the village.")
    else:
        text = "❌ " + t(
            "Your {kind} ({dates}) was rejected by {approver}: {note}",
            kind=kind,
            dates=dates,
            approver=escape(params["approver"]),
            note=escape(params["note"]),
        )
    return Rendered(text)


@notice("leave.away")
def leave_away(t: Translator, params: dict[str, Any]) -> Rendered:
    # For a group: who and when, never why.
    return Rendered(
        t(
            "{cadre} will be away from the village {dates}.",
            cadre=escape(params["cadre"]),
            dates=date_range(t, params["start"], params["end"]),
        )
    )


@notice("leave.replacement")
def leave_replacement(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(
        t(
            "{cadre} has approved leave of {days} days ({dates}). As the dispatching unit, "
            "please arrange a qualified replacement for that time (ganzhou Art.17).",
            cadre=escape(params["cadre"]),
            days=params["days"],
            dates=date_range(t, params["start"], params["end"]),
        )
    )


@notice("leave.withdrawn")
def leave_withdrawn(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(
        t(
            "{cadre} withdrew leave request #{id}; nothing to decide.",
            cadre=escape(params["cadre"]),
            id=params["leave_id"],
        )
    )


@notice("leave.closed")
def leave_closed(t: Translator, params: dict[str, Any]) -> Rendered:
    why = (
        t("{cadre} was recalled", cadre=escape(params["cadre"]))
        if params["why"] == "recalled"
        else t("{cadre}'s term is over", cadre=escape(params["cadre"]))
    )
    return Rendered(
        t(
            "Leave request #{id} ({dates}) is closed: {why}. Nothing to decide.",
            id=params["leave_id"],
            dates=date_range(t, params["start"], params["end"]),
            why=why,
        )
    )


@notice("leave.remind_approver")
def leave_remind_approver(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(
        "⏰ "
        + t(
            "Leave request #{id} ({cadre}, {dates}) has waited {hours} hours for your "
            "decision. Send /pending to see it.",
            id=params["leave_id"],
            cadre=escape(params["cadre"]),
            dates=date_range(t, params["start"], params["end"]),
            hours=params["hours"],
        )
    )


@notice("leave.remind_back")
def leave_remind_back(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(
        t(
            "Your leave ended on {end}. Once you are back in the village, send /back to "
            "report your return.",
            end=short_date(t, params["end"]),
        )
    )


@notice("leave.remind_complete")
def leave_remind_complete(t: Translator, params: dict[str, Any]) -> Rendered:
    text = t(
        "Please complete the written request for your emergency leave #{id} ({dates}) "
        "by {due}: send /myleave and press 'Complete'.",
        id=params["leave_id"],
        dates=date_range(t, params["start"], params["end"]),
        due=short_date(t, params["due"]),
    )
    if params.get("overdue"):
        text = "⚠️ " + t("Overdue.") + " " + text
    return Rendered(text)
