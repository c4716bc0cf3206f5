"""Supervision-calendar messages the relay sends: training, the half-year work report, the
leader meeting, the dispatching unit's duties and term end. Group messages carry no names of
people or households and no reasons, only what is due."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from handlers.formatting import long_date
from handlers.labels import label
from handlers.notices import Rendered, notice
from locales import N_, Translator
from models.enums import UnitLevel

TRAINING_LEVELS = {
    UnitLevel.PROVINCE: N_("province-level"),
    UnitLevel.CITY: N_("city-level"),
    UnitLevel.COUNTY: N_("county-level"),
}

UNIT_DUTIES = {
    "unit_head_report": N_("the unit's head hears a report on the village work"),
    "unit_head_village_visit": N_("the unit's head visits the villages"),
    "unit_deputy_village_visit": N_("the leader in charge visits the villages to guide the work"),
}

_HALF = re.compile(r"^(\d{4})H([12])$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def period_text(t: Translator, label: str) -> str:
    """2026H2 → 2026年下半年, 2026Q4 → 2026年第4季度, 2026-11 → 2026年11月, 2026 → 2026年."""
    if m := _HALF.match(label):
        if m[2] == "1":
            return t("first half of {year}", year=m[1])
        return t("second half of {year}", year=m[1])
    if m := _QUARTER.match(label):
        return t("Q{number} {year}", number=m[2], year=m[1])
    if m := _MONTH.match(label):
        return t("{month}/{year}", month=int(m[2]), year=m[1])
    return t("the year {year}", year=label)


def level_text(t: Translator, level: UnitLevel | str) -> str:
    return t(TRAINING_LEVELS[UnitLevel(level)])


def _places(rows: list[dict[str, Any]]) -> list[str]:
    return ["• " + escape(r.get("township", "") + r["village"]) for r in rows]


def _people(rows: list[dict[str, Any]]) -> list[str]:
    return ["• " + escape(f"{r['name']}（{r['township']}{r['village']}）") for r in rows]


@notice("training.recorded")
def training_recorded(t: Translator, params: dict[str, Any]) -> Rendered:
    text = t(
        "A training was recorded for you: {day}, {level}, {days} days.",
        day=long_date(t, params["day"]),
        level=level_text(t, params["level"]),
        days=params["days"],
    )
    if params.get("topic"):
        text += "\n" + t("Topic: {topic}", topic=escape(params["topic"]))
    return Rendered("🎓 " + text + "\n" + t("See all of yours with /mytraining."))


@notice("training.year_due")
def training_year_due(t: Translator, params: dict[str, Any]) -> Rendered:
    if params.get("need_days"):
        need = t(
            "at least {sessions} training(s) of at least {days} days in all",
            sessions=params["need_sessions"],
            days=params["need_days"],
        )
    else:
        need = t("at least {sessions} training(s)", sessions=params["need_sessions"])
    text = t(
        "<b>Training, {year}</b>: the year asks for {need}; on record so far: {sessions} "
        "training(s), {days} days. Once you have attended one, record it with /training.",
        year=params["year"],
        need=need,
        sessions=params["sessions"],
        days=params["days"],
    )
    return Rendered("🎓 " + text)


@notice("training.term_due")
def training_term_due(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(
        "🎓 "
        + t(
            "<b>Training this term</b>: your term ends on {day}, and no county-level (or "
            "higher) training is on record for it yet; at least {required} is required. "
            "Please attend one and record it with /training.",
            day=long_date(t, params["term_end"]),
            required=params["required"],
        )
    )


@notice("training.term_office")
def training_term_office(t: Translator, params: dict[str, Any]) -> Rendered:
    lines = [
        "🎓 "
        + t(
            "<b>Term training missing</b>: these cadres end their term on {day} and have no "
            "county-level (or higher) training on record for it (at least {required} required):",
            day=long_date(t, params["term_end"]),
            required=params["required"],
        )
    ]
    return Rendered("\n".join(lines + _people(params["cadres"])))


@notice("team_report.received")
def team_report_received(t: Translator, params: dict[str, Any]) -> Rendered:
    head = t(
        "<b>Half-year work report, {period}</b>: {township}{village} team, from {leader}",
        period=period_text(t, params["period"]),
        township=escape(params["township"]),
        village=escape(params["village"]),
        leader=escape(params["leader"]),
    )
    if params.get("revised"):
        head += " " + t("(revised: replaces the earlier version)")
    return Rendered("📄 " + head + "\n\n" + escape(params["text"]))


@notice("team_report.due")
def team_report_due(t: Translator, params: dict[str, Any]) -> Rendered:
    if params["overdue"]:
        text = t(
            "<b>Half-year work report overdue</b>: the team's report for {period} (thinking, "
            "work, study) was due by {day}. Send it with /halfyear followed by the text.",
            period=period_text(t, params["period"]),
            day=long_date(t, params["due"]),
        )
    else:
        text = t(
            "<b>Half-year work report</b>: the team's report for {period} (thinking, work, "
            "study) is due by {day}. Send it with /halfyear followed by the text.",
            period=period_text(t, params["period"]),
            day=long_date(t, params["due"]),
        )
    return Rendered("📄 " + text)


@notice("team_report.missing")
def team_report_missing(t: Translator, params: dict[str, Any]) -> Rendered:
    lines = [
        "📄 "
        + t(
            "<b>Half-year work reports not yet in</b>, {period} (due by {day}): {count} team(s).",
            period=period_text(t, params["period"]),
            day=long_date(t, params["due"]),
            count=len(params["teams"]),
        )
    ]
    return Rendered("\n".join(lines + _places(params["teams"])))


@notice("meeting.leader_office")
def meeting_leader_office(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(
        "📅 "
        + t(
            "<b>Meeting of first secretaries and team leaders</b>, {period}: the county leading "
            "group convenes it at least once in the period ({teams} team(s) in the county). "
            "Please set the date and tell the teams.",
            period=period_text(t, params["period"]),
            teams=params["teams"],
        )
    )


@notice("meeting.leader_group")
def meeting_leader_group(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(
        "📅 "
        + t(
            "This period ({period}) the county leading group holds the meeting of first "
            "secretaries and team leaders; the county office will send the date and place.",
            period=period_text(t, params["period"]),
        )
    )


@notice("unit.duties")
def unit_duties(t: Translator, params: dict[str, Any]) -> Rendered:
    lines = ["🏛 " + t("<b>The dispatching unit's duties now due</b> (ganzhou Art.15):")]
    for duty in params["duties"]:
        lines.append(
            "• "
            + t(
                "{duty}, at least once in {period}",
                duty=label(t, UNIT_DUTIES, duty["duty"]),
                period=period_text(t, duty["period"]),
            )
        )
    lines.append(t("Villages your cadres serve:"))
    lines += [
        "• "
        + t(
            "{place} ({cadres} cadre(s))",
            place=escape(v["township"] + v["village"]),
            cadres=v["cadres"],
        )
        for v in params["villages"]
    ]
    return Rendered("\n".join(lines))


@notice("term_end.cadre")
def term_end_cadre(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(
        "⏳ "
        + t(
            "<b>Your term ends on {day}</b> ({days} days left). Your dispatching unit and the "
            "county arrange the rotation; prepare the hand-over with your successor (压茬交接).",
            day=long_date(t, params["term_end"]),
            days=params["days_left"],
        )
    )


@notice("term_end.list")
def term_end_list(t: Translator, params: dict[str, Any]) -> Rendered:
    if params["to"] == "unit":
        ask = t("Please propose successors in time, so the hand-over overlaps (压茬交接).")
    else:
        ask = t("Please arrange the rotation and an overlapping hand-over (压茬交接).")
    lines = [
        "⏳ "
        + t(
            "<b>Terms ending on {day}</b> ({days} days left):",
            day=long_date(t, params["term_end"]),
            days=params["days_left"],
        )
    ]
    lines += _people(params["cadres"])
    lines.append(ask)
    return Rendered("\n".join(lines))


@notice("calendar.holidays_unknown")
def holidays_unknown(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(
        "📅 "
        + t(
            "<b>{year}'s official holidays are not known yet.</b> Until they are recorded, "
            "元旦, 春节 and the other holidays count as working days in leave and attendance. "
            "When the State Council's notice on {year}'s holidays is out, the county office "
            "records it in one step: <code>zhucun calendar import FILE</code>, one line per "
            "holiday with its make-up working days (<code>zhucun calendar import --help</code>).",
            year=params["year"],
        )
    )
