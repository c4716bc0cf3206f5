"""The monthly dispatch check (每月调度) the relay sends: the per-team summary for the
county's group (counts only: no cadre, household or reason) and the caption of the full
sheet sent privately to the county leading group office (services/supervision/monthly_check.py)."""

from __future__ import annotations

from html import escape
from typing import Any

from handlers.notices import Rendered, notice
from handlers.presence.views import month_label
from locales import Translator

# Telegram takes 4096 characters; the lines stop short of that and say how many are left.
TEXT_BUDGET = 3600


def period_text(t: Translator, period: dict[str, str]) -> str:
    first, last = (tuple(int(p) for p in period[k].split("-")) for k in ("from", "to"))
    if first == last:
        return month_label(t, last[0], last[1])
    return t(
        "{first} to {last}",
        first=month_label(t, first[0], first[1]),
        last=month_label(t, last[0], last[1]),
    )


def _team_line(t: Translator, team: dict[str, Any]) -> str:
    worry = team["met"] < team["cadres"] or team["absent"] > 0
    return ("⚠️ " if worry else "• ") + t(
        "{village} ({township}): minimum met {met}/{cadres}; days in the village "
        "{counted}/{minimum}; leave {leave}; absence {absent}; households visited "
        "{visited}/{paired}",
        village=escape(team["village"]),
        township=escape(team["township"]),
        met=team["met"],
        cadres=team["cadres"],
        counted=team["counted"],
        minimum=team["minimum"],
        leave=team["leave"],
        absent=team["absent"],
        visited=team["visited"],
        paired=team["paired"],
    )


@notice("dispatch.summary")
def dispatch_summary(t: Translator, params: dict[str, Any]) -> Rendered:
    teams = params["teams"]
    total = {k: sum(team[k] for team in teams) for k in ("cadres", "met", "absent")}
    total.update({k: sum(team[k] for team in teams) for k in ("leave", "visited", "paired")})
    head = [
        "📊 "
        + t(
            "<b>Dispatch check, {county}, {period}</b>",
            county=escape(params["county"]),
            period=period_text(t, params["period"]),
        ),
        t(
            "Teams: {teams}. Cadres: {cadres}, of whom {met} met the minimum days in the "
            "village. Leave: {leave} days. Unexplained absence: {absent} days. Households "
            "visited this quarter: {visited}/{paired}.",
            teams=len(teams),
            **total,
        ),
    ]
    if all("presumed" in team for team in teams):  # absent from summaries queued before
        head.append(
            t(
                "Of the {counted} days counted, {presumed} are presumed in the village (working "
                "days with no leave or absence recorded); weekends and holidays count only "
                "with evidence.",
                counted=sum(team["counted"] for team in teams),
                presumed=sum(team["presumed"] for team in teams),
            )
        )
    head.append("")
    lines: list[str] = []
    used = sum(len(line) + 1 for line in head)
    for index, team in enumerate(teams):
        line = _team_line(t, team)
        if used + len(line) > TEXT_BUDGET:
            lines.append(
                t(
                    "… and {count} more teams: see the sheet sent to the county office.",
                    count=len(teams) - index,
                )
            )
            break
        lines.append(line)
        used += len(line) + 1
    return Rendered("\n".join(head + lines))


@notice("dispatch.sheet")
def dispatch_sheet(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(
        "📎 "
        + t(
            "<b>Dispatch sheet, {county}, {period}</b>. Teams: {teams}. Cadres: {cadres}, of "
            "whom {below} below the minimum days in the village. Unexplained absence: {absent} "
            "days. The sheet has one row per cadre, and a summary per team.",
            county=escape(params["county"]),
            period=period_text(t, params["period"]),
            teams=params["teams"],
            cadres=params["cadres"],
            below=params["below_minimum"],
            absent=params["absent"],
        )
    )
