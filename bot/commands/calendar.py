"""``zhucun calendar``: the administrator's word on holidays and make-up working days (调休).

Needed above all for years the Chinese calendar package does not know yet: until the
holidays are set here, such a year counts Monday to Friday as working days.
"""

from __future__ import annotations

import argparse
from datetime import date

from bot.commands.base import CliError, Subparsers, add
from bot.context import AppContext
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

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def parse_day(text: str, what: str = "date") -> date:
    """A YYYY-MM-DD date from the command line, or one clear error line."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"{what} {text!r} is not a date: expected YYYY-MM-DD") from None


def _kind_words(workday: bool) -> str:
    return "workday 工作日" if workday else "holiday 休息日"


def _day(day: date) -> str:
    return f"{day.isoformat()} ({WEEKDAYS[day.weekday()]})"


def _why(info: DayInfo, note: str) -> str:
    if info.source is DaySource.OVERRIDE:
        return "override 管理员设置" + (f": {note}" if note else "")
    if info.source is DaySource.CHINESE_CALENDAR:
        if info.holiday_name is None:
            ordinary = "an ordinary working day" if info.workday else "an ordinary weekend"
            return f"Chinese calendar: {ordinary}"
        if info.workday:
            return f"Chinese calendar: make-up working day for {info.holiday_name} (调休)"
        return f"Chinese calendar: {info.holiday_name}"
    return (
        f"Monday–Friday fallback: the Chinese calendar has no data for {info.day.year} "
        "(record holidays with `zhucun calendar set`)"
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
            raise CliError(f"--note is too long: at most {MAX_NOTE_CHARS} characters") from None
        await uow.commit()
    # What the day would be without the override, so a redundant override is visible
    # (plain Monday–Friday past the Chinese calendar's data, without its warning).
    plain = WorkCalendar()
    base = plain.is_workday(day) if plain.is_known_year(day.year) else day.weekday() < 5
    same = " (the same as without the override)" if base == (kind is DayKind.WORKDAY) else ""
    print(f"{_day(day)}: set to {_kind_words(kind is DayKind.WORKDAY)}{same}")
    return 0


async def _unset(args: argparse.Namespace, ctx: AppContext) -> int:
    day = parse_day(args.date)
    async with await ctx.uow() as uow:
        removed = await unset_day(uow.session, day)
        await uow.commit()
    if not removed:
        print(f"{_day(day)}: no override; nothing changed")
        return 0
    info = WorkCalendar().explain(day)
    print(f"{_day(day)}: override removed; now {_kind_words(info.workday)} ({_why(info, '')})")
    return 0


async def _list(args: argparse.Namespace, ctx: AppContext) -> int:
    async with await ctx.uow() as uow:
        rows = await list_overrides(uow.session, args.year)
    if not rows:
        print("no overrides" + (f" in {args.year}" if args.year else ""))
        return 0
    for row in rows:
        note = f"  {row.note}" if row.note else ""
        print(f"{_day(row.day)}  {row.kind.value:<8}{note}  (set {row.set_at:%Y-%m-%d %H:%M} UTC)")
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
        help="working-day calendar: set, unset, list, check",
        description="Holidays and make-up working days (调休) beyond the Chinese calendar.",
    )
    actions = parser.add_subparsers(dest="calendar_command", metavar="ACTION", required=True)
    set_ = add(actions, "set", _set, "mark a day as a holiday or a working day")
    set_.add_argument("date", help="the day, YYYY-MM-DD")
    set_.add_argument("kind", choices=[k.value for k in DayKind], help="holiday or workday")
    set_.add_argument(
        "--note", default="", help="why, e.g. 元旦 or 国庆调休 (up to 100 characters)"
    )
    unset = add(actions, "unset", _unset, "remove the override on a day")
    unset.add_argument("date", help="the day, YYYY-MM-DD")
    list_ = add(actions, "list", _list, "list the overrides")
    list_.add_argument("--year", type=int, help="only this year")
    check = add(actions, "check", _check, "say whether a day is a working day, and why")
    check.add_argument("date", help="the day, YYYY-MM-DD")
