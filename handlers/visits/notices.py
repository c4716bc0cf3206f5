"""Visit messages the relay sends to people other than the cadre: the risk-flag card that
goes, in a private chat, to the township party committee over the household, with its
已知悉/跟进 button, and the reminder sent until someone presses it."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from handlers.notices import Rendered, notice
from handlers.visits.risk import ack_keyboard
from handlers.visits.views import day_text, household_label, mode_text, problems_text
from locales import Translator


@notice("visit.risk")
def visit_risk(t: Translator, params: dict[str, Any]) -> Rendered:
    head = "⚠️ " + t("<b>Risk of falling back into poverty</b> found on a visit")
    return Rendered(_risk_text(t, head, params), ack_keyboard(t, params["visit_id"]))


@notice("visit.risk_remind")
def visit_risk_remind(t: Translator, params: dict[str, Any]) -> Rendered:
    head = "⏰ " + t(
        "<b>Risk of falling back into poverty</b> not yet acknowledged ({hours} hours)",
        hours=params["hours"],
    )
    return Rendered(_risk_text(t, head, params), ack_keyboard(t, params["visit_id"]))


def _risk_text(t: Translator, head: str, params: dict[str, Any]) -> str:
    lines = [
        head,
        t(
            "Household: {household}, {township} {village}",
            household=household_label(t, params["household"], params["code"]),
            township=escape(params["township"]),
            village=escape(params["village"]),
        ),
        t(
            "Visited by {cadre}, {mode}, {day}",
            cadre=escape(params["cadre"]),
            mode=mode_text(t, params["mode"]),
            day=day_text(t, date.fromisoformat(params["visited_on"])),
        ),
    ]
    problems = params.get("problems") or []
    if problems:
        lines.append(t("Problems: {problems}", problems=problems_text(t, problems)))
    if params.get("note"):
        lines.append(t("Note: {note}", note=escape(params["note"])))
    return "\n".join(lines)


@notice("visit.risk_acked")
def visit_risk_acked(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(
        "✅ "
        + t(
            "{name} of the township party committee has acknowledged the risk you flagged "
            "for {household} ({day}) and will follow up.",
            name=escape(params["by"]),
            household=household_label(t, params["household"], params["code"]),
            day=day_text(t, date.fromisoformat(params["visited_on"])),
        )
    )
