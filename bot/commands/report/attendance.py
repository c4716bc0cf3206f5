"""``zhucun report attendance``: the month's attendance sheets (考勤表) as XLSX, one printable
sheet per township, from the presence ledger (confirmed townships as confirmed)."""

from __future__ import annotations

import argparse
import re
from decimal import Decimal
from pathlib import Path

from bot.cli_language import t
from bot.commands.base import CliError, Subparsers, add
from bot.commands.report.common import bad_month, resolve_scope, write_output
from bot.context import AppContext
from locales import N_, office_translator
from models.enums import SheetState
from services.calendar import load_calendar
from services.policy_loading import load_pack


def _month(text: str | None, ctx: AppContext) -> tuple[int, int]:
    if text is None:
        from services.presence.attendance import previous_month

        return previous_month(ctx.clock.now().astimezone(ctx.settings.zone).date())
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if not match or not 1 <= int(match[2]) <= 12:
        raise CliError(bad_month(text))
    return int(match[1]), int(match[2])


async def _attendance(args: argparse.Namespace, ctx: AppContext) -> int:
    year, month = _month(args.month, ctx)
    from services.presence.attendance import sheets
    from services.presence.attendance_workbook import workbook

    output = Path(args.output)
    pack = load_pack(ctx.settings.policy)
    async with await ctx.uow() as uow:
        scope, scope_name = await resolve_scope(uow.session, args.township, args.county)
        calendar = await load_calendar(uow.session)
        found = await sheets(uow.session, pack, calendar, scope, year, month, ctx.settings.zone)
    write_output(output, workbook(found, office_translator()))
    rows = [row for sheet in found for row in sheet.rows]
    allowance = sum((r.allowance for r in rows), Decimal(0))
    transport = sum((r.transport for r in rows), Decimal(0))
    confirmed = sum(1 for s in found if s.state is SheetState.CONFIRMED)
    print(
        t(
            "Attendance {year}-{month:02d} ({scope}): {townships} township(s) ({confirmed} "
            "confirmed), {people} people, {met} met the minimum days in the village; "
            "allowance {allowance} yuan, transport {transport} yuan; written to {path}",
            year=year,
            month=month,
            scope=scope_name,
            townships=len(found),
            confirmed=confirmed,
            people=len(rows),
            met=sum(1 for r in rows if r.met),
            allowance=allowance,
            transport=transport,
            path=output,
        )
    )
    # "11 of 11 met the minimum" on a database nobody has used yet reads as proof: say how
    # much of it is presumption (issue 18).
    if rows and all(r.presumed is not None for r in rows):
        in_village = sum(r.in_village for r in rows)
        print(
            t(
                "Of the {in_village} days in the village, {presumed} are presumed (working "
                "days with no leave or absence recorded) and {evidenced} shown by a location, "
                "a visit or a correction; weekends and holidays count only with evidence",
                in_village=in_village,
                presumed=sum(len(r.presumed or ()) for r in rows),
                evidenced=sum(r.evidenced or 0 for r in rows),
            )
        )
    return 0


def register(sub: Subparsers) -> None:
    parser = add(
        sub,
        "attendance",
        _attendance,
        N_("the month's attendance sheets (考勤表): days, allowance and transport per cadre"),
    )
    parser.add_argument(
        "--month", help=t("the month, e.g. 2026-11 (default: the month that just ended)")
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--township", help=t("one township (乡镇, or 县/乡镇 when not unique)"))
    where.add_argument("--county", help=t("one county (县)"))
    parser.add_argument("-o", "--output", required=True, help=t("the XLSX file to write"))
