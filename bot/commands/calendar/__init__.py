"""``zhucun calendar``: the administrator's word on holidays and make-up working days (调休).

Needed above all for years the Chinese calendar package does not know yet: until the
holidays are set here (a whole year's notice at once by ``calendar import``), such a year
counts Monday to Friday as working days.
"""

from __future__ import annotations

import argparse
from datetime import date

from bot.cli_language import t
from bot.commands.base import CliError, Subparsers, add
from bot.context import AppContext
from locales import N_
from models.enums import DayKind
from services.calendar import (
    MAX_NOTE_CHARS,
    DayInfo,
    DaySource,
    WorkCalendar,
    get_override,
    list_overrides,
    load_calendar,
    set_day,
    unset_day,
)
from services.errors import DomainError

WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def parse_day(text: str, what: str = "") -> date:
    """A YYYY-MM-DD date from the command line, or one clear error line."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(
            t(
                "{what} {text!r} is not a date: expected YYYY-MM-DD",
                what=what or t("date"),
                text=text,
            )
        ) from None


def _kind_words(workday: bool) -> str:
    return t("workday") if workday else t("holiday")


def _day(day: date) -> str:
    return f"{day.isoformat()} ({t(WEEKDAYS[day.weekday()])})"


def _why(info: DayInfo, note: str) -> str:
    if info.source is DaySource.OVERRIDE:
        return t("set by the administrator") + (f": {note}" if note else "")
    if info.source is DaySource.CHINESE_CALENDAR:
        if info.holiday_name is None:
            if info.workday:
                return t("Chinese calendar: an ordinary working day")
            return t("Chinese calendar: an ordinary weekend")
        if info.workday:
            return t(
                "Chinese calendar: make-up working day for {holiday} (调休)",
                holiday=info.holiday_name,
            )
        return t("Chinese calendar: {holiday}", holiday=info.holiday_name)
    return t(
        "Monday–Friday fallback: the Chinese calendar has no data for {year} "
        "(record the year's holidays with `zhucun calendar import`)",
        year=info.day.year,
    )


async def _set(args: argparse.Namespace, ctx: AppContext) -> int:
    day = parse_day(args.date)
    kind = DayKind(args.kind)
    async with await ctx.uow() as uow:
        try:
            await set_day(uow.session, day, kind, args.note, ctx.clock.now())
        except DomainError as exc:
            if exc.code != "calendar_note_too_long":
                raise
            raise CliError(
                t("--note is too long: at most {max} characters", max=MAX_NOTE_CHARS)
            ) from None
        await uow.commit()
    # What the day would be without the override, so a redundant override is visible
    # (plain Monday–Friday past the Chinese calendar's data, without its warning).
    plain = WorkCalendar()
    base = plain.is_workday(day) if plain.is_known_year(day.year) else day.weekday() < 5
    same = t(" (the same as without the override)") if base == (kind is DayKind.WORKDAY) else ""
    print(
        t(
            "{day}: set to {kind}{same}",
            day=_day(day),
            kind=_kind_words(kind is DayKind.WORKDAY),
            same=same,
        )
    )
    return 0


async def _unset(args: argparse.Namespace, ctx: AppContext) -> int:
    day = parse_day(args.date)
    async with await ctx.uow() as uow:
        removed = await unset_day(uow.session, day)
        await uow.commit()
    if not removed:
        print(t("{day}: no override; nothing changed", day=_day(day)))
        return 0
    info = WorkCalendar().explain(day)
    print(
        t(
            "{day}: override removed; now {kind} ({why})",
            day=_day(day),
            kind=_kind_words(info.workday),
            why=_why(info, ""),
        )
    )
    return 0


async def _list(args: argparse.Namespace, ctx: AppContext) -> int:
    async with await ctx.uow() as uow:
        rows = await list_overrides(uow.session, args.year)
    if not rows:
        if args.year:
            print(t("no overrides in {year}", year=args.year))
        else:
            print(t("no overrides"))
        return 0
    for row in rows:
        note = f"  {row.note}" if row.note else ""
        kind = _kind_words(row.kind is DayKind.WORKDAY)
        when = t("(set {when} UTC)", when=f"{row.set_at:%Y-%m-%d %H:%M}")
        print(f"{_day(row.day)}  {kind}{note}  {when}")
    return 0


async def _check(args: argparse.Namespace, ctx: AppContext) -> int:
    day = parse_day(args.date)
    async with await ctx.uow() as uow:
        calendar = await load_calendar(uow.session)
        override = await get_override(uow.session, day)
    info = calendar.explain(day)
    note = override.note if override else ""
    print(f"{_day(day)}: {_kind_words(info.workday)} — {_why(info, note)}")
    return 0


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "calendar",
        help=t("working-day calendar: set, unset, list, check, import"),
        description=t("Holidays and make-up working days (调休) beyond the Chinese calendar."),
    )
    actions = parser.add_subparsers(dest="calendar_command", metavar=t("ACTION"), required=True)
    set_ = add(actions, "set", _set, N_("mark a day as a holiday or a working day"))
    set_.add_argument("date", help=t("the day, YYYY-MM-DD"))
    set_.add_argument("kind", choices=[k.value for k in DayKind], help=t("holiday or workday"))
    set_.add_argument(
        "--note", default="", help=t("why, e.g. 元旦 or 国庆调休 (up to 100 characters)")
    )
    unset = add(actions, "unset", _unset, N_("remove the override on a day"))
    unset.add_argument("date", help=t("the day, YYYY-MM-DD"))
    list_ = add(actions, "list", _list, N_("list the overrides"))
    list_.add_argument("--year", type=int, help=t("only this year"))
    check = add(actions, "check", _check, N_("say whether a day is a working day, and why"))
    check.add_argument("date", help=t("the day, YYYY-MM-DD"))
    # Imported here: the import uses this module's weekday names.
    from bot.commands.calendar import importing

    importing.register(actions)
