"""How presence, spot checks, recall and the attendance sheet read in a chat: labels, the
words for every refusal, the month summary and the buttons. User strings are escaped here."""

from __future__ import annotations

from html import escape
from typing import Any

from handlers.core.views import Button, Keyboard
from handlers.formatting import long_date, money, short_date
from handlers.presence.payloads import SheetCb, SpotCb
from handlers.supervision.payloads import RecallCb
from locales import N_, Translator
from models.enums import DayClass
from services.errors import DomainError
from services.presence.day_ledger import CadreMonth

DAY_CLASSES = {
    DayClass.IN_VILLAGE: N_("in the village"),
    DayClass.OFFICIAL_BUSINESS: N_("official business (trip, meeting, training)"),
    DayClass.PERSONAL_LEAVE: N_("personal leave"),
    DayClass.SICK_LEAVE: N_("sick leave"),
    DayClass.ANNUAL_LEAVE: N_("annual leave"),
    DayClass.ABSENT: N_("unexplained absence"),
    DayClass.REST: N_("rest day"),
}

ERRORS = {
    "location_invalid": N_("That location is not valid."),
    "spot_check_query_missing": N_(
        "Name a cadre or a village: /spotcheck 王芳 or /spotcheck 下寨村."
    ),
    "spot_check_not_allowed": N_(
        "Spot checks are run by the township party committee, the county's posts and the "
        "dispatching unit."
    ),
    "spot_check_nobody": N_("No cadre in post under your jurisdiction is called {query}."),
    "explanation_missing": N_("Please write what happened."),
    "explanation_too_long": N_("That is {length} characters; at most {limit}, please."),
    "nothing_to_explain": N_("You have no suspected absence waiting for an explanation."),
    "not_your_check": N_("You do not hold a post that decides this spot check."),
    "check_not_suspected": N_("This spot check has nothing to decide."),
    "recall_ground_unknown": N_("That is not one of the recall grounds."),
    "recall_note_missing": N_("Please write a note with the facts behind the proposal."),
    "recall_note_too_long": N_("That is {length} characters; at most {limit}, please."),
    "recall_not_proposer": N_("A recall is proposed by the township party committee."),
    "recall_open": N_("Recall #{recall_id} for this cadre is already under way."),
    "recall_not_decider": N_("A recall is decided by the county leading group."),
    "recall_not_unit": N_("Only the cadre's dispatching unit reports the replacement."),
    "recall_not_approved": N_("The recall has not been approved yet."),
    "cadre_not_found": N_("No cadre in post under your jurisdiction is called {name}."),
    "cadre_ambiguous": N_(
        "Several cadres are called {name} ({villages}); please tell the township."
    ),
    "trip_not_in_policy": N_("The policy in force sets no transport reimbursement."),
    "trip_km_invalid": N_("Write the round trip's kilometres as a number, e.g. /trip 120."),
    "fix_future": N_("Only days up to today can be corrected."),
    "fix_reason_missing": N_("Please give the reason for the correction."),
    "fix_reason_too_long": N_("That is {length} characters; at most {limit}, please."),
    "fix_not_township": N_("The attendance sheet is corrected by the township party committee."),
    "sheet_locked": N_("The attendance sheet of {month}/{year} is confirmed and locked."),
    "sheet_not_yours": N_("This attendance sheet is confirmed by the township party committee."),
    "sheet_empty": N_("This attendance sheet has no cadres."),
    "sheet_not_township": N_(
        "The attendance sheet goes to the township party committee; you do not hold that post."
    ),
    "sheet_not_drafted": N_(
        "There is no attendance sheet of {month}/{year} yet: it is drafted once the month is over."
    ),
    "sheet_month_invalid": N_(
        "Give the month as 2026-11 or 11月, or send /sheet alone for last month."
    ),
}


def error_text(t: Translator, exc: DomainError) -> str:
    msgid = ERRORS.get(exc.code)
    if msgid is None:
        return t("Sorry, that did not work ({code}).", code=escape(exc.code))
    params = {k: escape(str(v)) for k, v in exc.params.items()}
    return t(msgid, **params)


def class_label(t: Translator, value: DayClass | str) -> str:
    return t(DAY_CLASSES[DayClass(value)])


def month_label(t: Translator, year: int, month: int) -> str:
    return t("{month}/{year}", month=month, year=year)


def month_text(t: Translator, m: CadreMonth) -> str:
    """/month: counted so far, leave, absences, and the minimum."""
    lines = [
        "<b>"
        + t("Days in the village, {month}", month=month_label(t, m.year, m.month))
        + "</b>"
        + (" " + t("(up to {day})", day=short_date(t, m.today)) if m.today else ""),
        t(
            "Counted: {counted} days (in the village {in_village}, official business {official})",
            counted=m.counted_so_far,
            in_village=m.so_far(DayClass.IN_VILLAGE),
            official=m.so_far(DayClass.OFFICIAL_BUSINESS),
        ),
    ]
    # Without this a month of presumed days reads as a month of proof (issue 18).
    presumed = [d for d in m.presumed_days if m.today is None or d <= m.today]
    lines.append(
        t(
            "Of the {in_village} days in the village, {evidenced} are shown by a location or "
            "visit and {presumed} presumed (working days with no leave or absence recorded). "
            "A weekend or holiday counts only with evidence: share your location there (/here).",
            in_village=m.so_far(DayClass.IN_VILLAGE),
            evidenced=m.so_far(DayClass.IN_VILLAGE) - len(presumed),
            presumed=len(presumed),
        )
    )
    leave = [
        f"{class_label(t, c)} {m.count(c)}"
        for c in (DayClass.PERSONAL_LEAVE, DayClass.SICK_LEAVE, DayClass.ANNUAL_LEAVE)
        if m.count(c)
    ]
    if leave:
        lines.append(t("Leave this month: {leave}", leave=t(", ").join(leave)))
    if m.count(DayClass.ABSENT):
        lines.append(t("Unexplained absences: {n}", n=m.count(DayClass.ABSENT)))
    if m.counted_so_far >= m.minimum:
        verdict = "✅ " + t("The minimum of {minimum} days is reached.", minimum=m.minimum)
    elif m.met:
        verdict = "🟢 " + t(
            "On track: {counted} days if you are in the village on the remaining working "
            "days (minimum {minimum}).",
            counted=m.counted,
            minimum=m.minimum,
        )
    elif m.reachable:
        verdict = "🟡 " + t(
            "The minimum of {minimum} days can still be reached (at most {possible}): "
            "weekend days in the village count when you share your location (/here).",
            minimum=m.minimum,
            possible=m.possible,
        )
    else:
        verdict = "🔴 " + t(
            "The minimum of {minimum} days can no longer be reached this month (at most "
            "{possible}).",
            minimum=m.minimum,
            possible=m.possible,
        )
    lines.append(verdict)
    return "\n".join(lines)


def distance_text(t: Translator, metres: float | int | None) -> str:
    if metres is None:
        return "?"
    if metres < 1000:
        return t("{m} m", m=round(metres))
    return t("{km} km", km=f"{metres / 1000:.1f}")


def spot_decision_keyboard(t: Translator, target_id: int) -> Keyboard:
    return (
        (
            Button(t("Confirm absence"), SpotCb(action="confirm", target_id=target_id).pack()),
            Button(t("Clear"), SpotCb(action="clear", target_id=target_id).pack()),
        ),
    )


def explain_keyboard(t: Translator, target_id: int) -> Keyboard:
    return ((Button(t("Explain"), SpotCb(action="explain", target_id=target_id).pack()),),)


def recall_keyboard(t: Translator, recall_id: int) -> Keyboard:
    return (
        (
            Button(t("Approve recall"), RecallCb(action="ok", recall_id=recall_id).pack()),
            Button(t("Do not recall"), RecallCb(action="no", recall_id=recall_id).pack()),
        ),
    )


def replaced_keyboard(t: Translator, recall_id: int) -> Keyboard:
    return ((Button(t("Replacement sent"), RecallCb(action="done", recall_id=recall_id).pack()),),)


def sheet_keyboard(t: Translator, sheet_id: int) -> Keyboard:
    return ((Button(t("Confirm the sheet"), SheetCb(action="confirm", sheet_id=sheet_id).pack()),),)


def sheet_text(t: Translator, params: dict[str, Any]) -> str:
    """The summary that goes with a sheet's workbook."""
    state = t("confirmed") if params["confirmed"] else t("draft")
    lines = [
        "<b>"
        + t(
            "Attendance sheet, {township}, {month}",
            township=escape(params["township"]),
            month=month_label(t, params["year"], params["month"]),
        )
        + f"</b> ({state})",
        t(
            "{cadres} cadres; {met} reached the minimum.",
            cadres=params["cadres"],
            met=params["met"],
        ),
    ]
    if "presumed" in params:  # absent from drafts queued before it was counted
        lines.append(
            t(
                "Days in the village: {in_village}, of which {presumed} presumed (working "
                "days with no leave or absence recorded), {evidenced} shown by a location, a "
                "visit or a correction. A weekend or holiday counts only with evidence.",
                in_village=params["in_village"],
                presumed=params["presumed"],
                evidenced=params["in_village"] - params["presumed"],
            )
        )
    if params["not_met"]:
        shown = params["not_met"][:10]  # a caption holds 1024 characters
        names = t(", ").join(escape(n) for n in shown)
        names += "…" if len(params["not_met"]) > len(shown) else ""
        lines.append(t("Below the minimum: {names}", names=names))
    if params["absent"]:
        lines.append(t("Unexplained absences: {n}", n=params["absent"]))
    lines.append(
        t(
            "Living allowance {allowance}; transport {transport}.",
            allowance=money(t, params["allowance"]),
            transport=money(t, params["transport"]),
        )
    )
    return "\n".join(lines)


def day_text(t: Translator, day: str) -> str:
    return long_date(t, day)
