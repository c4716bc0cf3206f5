"""Visit messages the relay sends to people other than the cadre: the risk-flag card that
goes, in a private chat, to the township party committee over the household."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from handlers.notices import Rendered, notice
from handlers.visits.views import day_text, household_label, mode_text, problems_text
from locales import Translator


@notice("visit.risk")
def visit_risk(t: Translator, params: dict[str, Any]) -> Rendered:
    lines = [
        "⚠️ " + t("<b>Risk of falling back into poverty</b> found on a visit"),
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
    return Rendered("\n".join(lines))
