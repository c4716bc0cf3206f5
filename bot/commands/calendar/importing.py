"""``zhucun calendar import FILE``: a year's State Council holiday notice in one step.

The file (``-`` for standard input) lists one holiday a line, as ``services.holiday_notice``
describes; it is checked, shown back as a table and written only when confirmed (``--yes``
answers yes; without a terminal to ask on and without ``--yes`` nothing is written).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from bot.cli_language import t
from bot.commands.base import CliError, Subparsers, add
from bot.commands.calendar import WEEKDAYS
from bot.context import AppContext
from locales import N_
from services.calendar import WorkCalendar
from services.errors import DomainError
from services.holiday_notice import (
    MAX_HOLIDAY_DAYS,
    HolidayNotice,
    other_overrides,
    parse_notice,
    record_notice,
)

EXIT_NOT_CONFIRMED = 1
EXAMPLE = "元旦 2027-01-01~2027-01-03"

PROBLEMS = {
    "notice_empty": N_("no holidays in the file: one line per holiday, e.g. {example}"),
    "notice_bad_date": N_("line {line}: {text!r} is not a date: expected YYYY-MM-DD"),
    "notice_no_dates": N_("line {line}: {text!r} has no dates: expected e.g. {example}"),
    "notice_name_too_long": N_(
        "line {line}: the holiday's name is too long: at most {max} characters"
    ),
    "notice_bad_range": N_(
        "line {line}: {text!r} is not a range: expected START~END, e.g. {example}"
    ),
    "notice_range_reversed": N_("line {line}: the range ends ({end}) before it starts ({start})"),
    "notice_range_too_long": N_(
        "line {line}: {days} days is too long for one holiday (at most {max}): check the dates"
    ),
    "notice_no_makeup_days": N_("line {line}: no dates after 调休上班"),
    "notice_wrong_year": N_("line {line}: a date outside {year}: one notice is one year"),
    "notice_overlap": N_("line {line}: overlaps the holiday on line {other}"),
    "notice_makeup_in_holiday": N_(
        "line {line}: make-up working day {day} falls inside the holiday on line {other}"
    ),
    "notice_makeup_weekday": N_(
        "line {line}: make-up working day {day} is a weekday, a working day anyway: "
        "make-up days (调休上班) are weekends"
    ),
    "notice_makeup_twice": N_("line {line}: make-up working day {day} is already on line {other}"),
}


def _read(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise CliError(t("cannot read {path}: {reason}", path=source, reason=reason)) from None


def _short(day: date) -> str:
    return f"{day:%m-%d} ({t(WEEKDAYS[day.weekday()])})"


def table(notice: HolidayNotice) -> list[str]:
    """The notice as the clerk checks it against the paper: one row per holiday."""
    lines = [
        t(
            "Holidays of {year}: {holidays} holidays, {days} days off, {makeup} make-up "
            "working days (调休上班)",
            year=notice.year,
            holidays=len(notice.holidays),
            days=notice.holiday_days,
            makeup=notice.makeup_days,
        )
    ]
    width = max(len(h.name) for h in notice.holidays)
    for h in notice.holidays:
        # CJK names are two columns wide each: pad by display width, not characters.
        name = h.name + "　" * (width - len(h.name))
        span = _short(h.start) if h.days == 1 else f"{_short(h.start)} ~ {_short(h.end)}"
        days = t("{n} day(s)", n=h.days)
        makeup = ""
        if h.makeup:
            makeup = "  " + t("make-up: {days}", days=", ".join(_short(d) for d in h.makeup))
        lines.append(f"  {name}  {span}  {days}{makeup}")
    return lines


def _confirmed(question: str, *, yes: bool, stdin_used: bool) -> bool:
    if yes:
        return True
    if stdin_used or not sys.stdin.isatty():
        return False
    try:
        answer = input(question)
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes", "是")


async def _import(args: argparse.Namespace, ctx: AppContext) -> int:
    text = _read(args.file)
    try:
        notice = parse_notice(text, args.year)
    except DomainError as exc:
        message = PROBLEMS.get(exc.code)
        if message is None:
            raise
        params = {"example": EXAMPLE, "max": MAX_HOLIDAY_DAYS, **exc.params}
        where = "" if args.file == "-" else f"{args.file}: "
        raise CliError(where + t(message, **params)) from None
    for line in table(notice):
        print(line)
    async with await ctx.uow() as uow:
        others = await other_overrides(uow.session, notice)
    if WorkCalendar().is_known_year(notice.year):
        print(
            t(
                "The Chinese calendar already knows {year}: these days will override it.",
                year=notice.year,
            )
        )
    if others:
        print(
            t(
                "{n} other override(s) in {year} stay as they are "
                "(zhucun calendar list --year {year})",
                n=others,
                year=notice.year,
            )
        )
    question = t("Record these {n} days? [y/N] ", n=len(notice.overrides()))
    if not _confirmed(question, yes=args.yes, stdin_used=args.file == "-"):
        print(
            t("Not recorded: confirm with --yes (or answer y on a terminal); nothing was changed"),
            file=sys.stderr,
        )
        return EXIT_NOT_CONFIRMED
    async with await ctx.uow() as uow:
        written = await record_notice(uow.session, notice, ctx.clock.now())
        await uow.commit()
    print(
        t(
            "Recorded the holidays of {year}: {n} days ({days} days off, {makeup} make-up "
            "working days)",
            year=notice.year,
            n=written,
            days=notice.holiday_days,
            makeup=notice.makeup_days,
        )
    )
    return 0


def register(actions: Subparsers) -> None:
    parser = add(
        actions, "import", _import, N_("record a year's State Council holiday notice from a file")
    )
    parser.epilog = t(
        "One line per holiday: its name, the days off (START~END, or one day), then "
        "调休上班 and the make-up working days, e.g. "
        "'春节 2027-02-06~2027-02-13 调休上班 2027-02-14,2027-02-20'. "
        "Blank lines and # comments are skipped."
    )
    parser.add_argument("file", metavar="FILE", help=t("the list, or - for standard input"))
    parser.add_argument(
        "--year", type=int, help=t("the notice's year (by default the first holiday's)")
    )
    parser.add_argument("--yes", action="store_true", help=t("record without asking"))
