"""The visit reminder the relay sends a cadre, in a private chat: the paired households with
no counted visit yet this quarter, by name (services/visits/sweeps.py)."""

from __future__ import annotations

from typing import Any

from handlers.formatting import long_date
from handlers.notices import Rendered, notice
from handlers.visits.views import household_label, quarter_text
from locales import Translator
from services.periods import Period
from services.policy import Cadence


@notice("visit.due")
def visit_due(t: Translator, params: dict[str, Any]) -> Rendered:
    households = params["households"]
    lines = [
        "📋 "
        + t(
            "<b>Visits due, {quarter}</b>: no visit counted yet to these paired households "
            "({count}). The quarter ends on {day} ({days} days left).",
            quarter=quarter_text(t, Period.parse(params["quarter"], Cadence.QUARTERLY)),
            count=len(households),
            day=long_date(t, params["last_day"]),
            days=params["days_left"],
        )
    ]
    lines += ["• " + household_label(t, h["name"], h["code"]) for h in households]
    lines.append(t("Log a visit with /visit once you have been there."))
    return Rendered("\n".join(lines))
