"""How visits, households and coverage read in a chat. Every user string is escaped here."""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from handlers.formatting import long_date
from handlers.labels import HOUSEHOLD_CATEGORIES
from locales import N_, Translator
from models.enums import HouseholdCategory, VisitMode
from services.errors import DomainError
from services.periods import Period
from services.visits.coverage import Coverage
from services.visits.household_search import Match
from services.visits.my_households import MyHousehold
from services.visits.records import VisitSaved

CHECK_LABELS = {
    "income": N_("income and work"),
    "food": N_("food"),
    "clothing": N_("clothing"),
    "schooling": N_("schooling"),
    "medical": N_("medical care"),
    "housing": N_("housing"),
    "water": N_("drinking water"),
}
MODE_LABELS = {
    VisitMode.IN_PERSON: N_("in person"),
    VisitMode.PHONE: N_("by phone"),
    VisitMode.ONLINE: N_("online"),
}
ERRORS = {
    "visit_household_unknown": N_("That household is no longer on the roster."),
    "visit_not_allowed": N_(
        "You can log visits only to households paired with you or in your team's village."
    ),
    "visit_not_cadre": N_("Only village-resident cadres log visits."),
    "visit_mode_invalid": N_("Choose in person, phone or online."),
    "visit_check_unknown": N_("That checklist item does not exist."),
    "visit_note_too_long": N_("That is too long: at most {limit} characters."),
    "visit_too_many_photos": N_("At most {limit} photos per visit."),
    "visit_location_invalid": N_("That location is not valid."),
    "visit_in_future": N_("A visit cannot be recorded ahead of time."),
    "visit_time_invalid": N_("A visit cannot be recorded ahead of time."),
    "visit_name_missing": N_(
        "Write the household's name or code after /visit, e.g. /visit 张伟明 入户."
    ),
    "quarter_invalid": N_("Write the quarter like 2026Q4."),
    "visit_risk_unknown": N_("That risk flag no longer exists."),
    "visit_risk_not_township": N_(
        "Only the township party committee over the household acknowledges a risk flag."
    ),
}


def error_text(t: Translator, exc: DomainError) -> str:
    msgid = ERRORS.get(exc.code)
    if msgid is None:
        return t("Sorry, that could not be saved ({code}).", code=escape(exc.code))
    params = {k: v for k, v in exc.params.items() if k == "limit"}
    return t(msgid, **params)


def day_text(t: Translator, day: date) -> str:
    """2026年11月23日 / 23 Nov 2026."""
    return long_date(t, day)


def quarter_text(t: Translator, quarter: Period) -> str:
    return t("Q{number} {year}", number=quarter.index, year=quarter.year)


def mode_text(t: Translator, mode: VisitMode | str) -> str:
    return t(MODE_LABELS[VisitMode(mode)])


def category_text(t: Translator, category: HouseholdCategory | str) -> str:
    return t(HOUSEHOLD_CATEGORIES[HouseholdCategory(category)])


def household_label(t: Translator, head: str, code: str) -> str:
    return t("{head} ({code})", head=escape(head), code=escape(code))


def button_label(head: str, code: str) -> str:
    """Button text is not parsed as HTML, so nothing is escaped."""
    return f"{head} · {code}"


def problems_text(t: Translator, problems: list[dict[str, Any]]) -> str:
    parts = []
    for item in problems:
        key = str(item.get("check"))
        label = t(CHECK_LABELS[key]) if key in CHECK_LABELS else escape(key)
        note = str(item.get("note") or "")
        parts.append(t("{item}: {note}", item=label, note=escape(note)) if note else label)
    return t("; ").join(parts)


def saved_text(t: Translator, saved: VisitSaved, zone: ZoneInfo) -> str:
    target = saved.target
    lines = [
        "✅ "
        + t(
            "Visit saved: {household}, {village}, {mode}, {day}.",
            household=household_label(t, target.head_name, target.code),
            village=escape(target.village),
            mode=mode_text(t, saved.mode),
            day=day_text(t, saved.visited_at.astimezone(zone).date()),
        )
    ]
    if saved.problems:
        labels = t(", ").join(t(CHECK_LABELS[k]) for k in saved.problems)
        lines.append(t("Problems noted: {items}.", items=labels))
    else:
        lines.append(t("Income, food, clothing, schooling, medical care, housing, water: fine."))
    # Everything the cadre wrote is shown back, so that a tap never files it unseen; this
    # text goes only to the cadre's private chat.
    written = [
        (t(CHECK_LABELS[key]), note) for key, note in saved.check_notes if note != saved.notes
    ]
    if saved.risk_note and saved.risk_note != saved.notes:
        written.append((t("Risk of falling back into poverty"), saved.risk_note))
    for item, note in written:
        lines.append("⚠️ " + t("{item}: {note}", item=item, note=escape(clip(note))))
    if saved.notes:
        lines.append(t("Notes: {notes}", notes=escape(clip(saved.notes))))
    extras = []
    if saved.photos:
        extras.append(t("photos: {n}", n=saved.photos))
    extras.append(t("location shared") if saved.has_location else t("no location"))
    lines.append(t(", ").join(extras))
    if saved.counted:
        lines.append(t("It counts for this quarter's visit."))
    elif not target.paired:
        lines.append(t("Not your pairing, so it does not count for your quarter."))
    else:
        lines.append(t("Recorded; this kind of contact does not count for the quarter."))
    if saved.risk:
        if saved.approvers_told:
            lines.append("⚠️ " + t("Risk flag sent to the township party committee."))
        else:
            lines.append(
                "⚠️ "
                + t(
                    "Risk flag saved, but no township approver is registered to receive it: "
                    "please tell the township yourself."
                )
            )
    return "\n".join(lines)


def my_households_text(
    t: Translator, rows: list[MyHousehold], quarter: Period, days_left: int, zone: ZoneInfo
) -> str:
    if not rows:
        return t("No households are paired with you yet. The county office imports pairings.")
    done = sum(1 for r in rows if r.done_this_quarter)
    lines = [
        t(
            "<b>My paired households</b> ({quarter}: {done} of {total} visited, {days} days left)",
            quarter=quarter_text(t, quarter),
            done=done,
            total=len(rows),
            days=days_left,
        )
    ]
    for number, row in enumerate(rows, start=1):
        lines.append(
            f"{number}. {household_label(t, row.head_name, row.code)} · {escape(row.village)} · "
            f"{category_text(t, row.category)}"
        )
        if row.last_visit_at is not None and row.last_visit_mode is not None:
            last = t(
                "last visit {day}, {mode}",
                day=day_text(t, row.last_visit_at.astimezone(zone).date()),
                mode=mode_text(t, row.last_visit_mode),
            )
        else:
            last = t("never visited")
        status = (
            "✅ " + t("visited this quarter")
            if row.done_this_quarter
            else "⏳ " + t("not yet visited this quarter")
        )
        lines.append(f"    {last} · {status}")
    return "\n".join(lines)


def choices_text(t: Translator, query: str, matches: tuple[Match, ...]) -> str:
    if not matches:
        return t(
            "No household of yours or of your village matches “{query}”. "
            "Check the name, or use the household code.",
            query=escape(query),
        )
    return t("Which household did you mean by “{query}”?", query=escape(query))


def coverage_text(t: Translator, cov: Coverage, *, details: bool, limit: int = 30) -> str:
    head = t(
        "<b>{place}</b>: {pairings} pairings, {visited} visited, {missing} not yet; "
        "risk flags: {risks}",
        place=escape(cov.place),
        pairings=cov.pairings,
        visited=cov.visited,
        missing=cov.pairings - cov.visited,
        risks=cov.risk_flags,
    )
    if cov.risk_unacknowledged:
        head += t(" ({n} not yet acknowledged)", n=cov.risk_unacknowledged)
    lines = [head]
    if details and cov.not_visited:
        lines.append(t("Not yet visited ({days} days left):", days=cov.days_left))
        for row in cov.not_visited[:limit]:
            lines.append(
                f"• {household_label(t, row.head_name, row.code)} · {escape(row.village)} — "
                f"{escape(row.cadre_name)}"
            )
        if len(cov.not_visited) > limit:
            lines.append(t("…and {n} more.", n=len(cov.not_visited) - limit))
    return "\n".join(lines)


def clip(text: str, limit: int = 300) -> str:
    """A long note shortened for display (the whole note is kept)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()
