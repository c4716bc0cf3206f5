"""``zhucun report leave``: the month's leave register (请假登记) as XLSX."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from bot.cli_language import t
from bot.commands.base import CliError, Subparsers, add
from bot.commands.report.common import bad_month, resolve_scope, write_output
from bot.context import AppContext
from locales import N_, office_translator


async def _leave(args: argparse.Namespace, ctx: AppContext) -> int:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", args.month)
    if not match or not 1 <= int(match[2]) <= 12:
        raise CliError(bad_month(args.month))
    year, month = int(match[1]), int(match[2])
    from services.leave.register import leave_rows, register_workbook

    output = Path(args.output)
    async with await ctx.uow() as uow:
        scope, scope_name = await resolve_scope(uow.session, args.township, args.county)
        rows = await leave_rows(uow.session, year, month, scope)
    # The county files the register in Chinese.
    zh = office_translator()
    write_output(output, register_workbook(rows, year, month, scope_name, ctx.settings.zone, zh))
    print(
        t(
            "Leave register {year}-{month:02d} ({scope}): {count} row(s), written to {path}",
            year=year,
            month=month,
            scope=scope_name,
            count=len(rows),
            path=output,
        )
    )
    return 0


def register(sub: Subparsers) -> None:
    parser = add(sub, "leave", _leave, N_("the month's leave register (请假登记)"))
    parser.add_argument("--month", required=True, help=t("the month, e.g. 2026-12"))
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--township", help=t("one township (乡镇, or 县/乡镇 when not unique)"))
    where.add_argument("--county", help=t("one county (县)"))
    parser.add_argument("-o", "--output", required=True, help=t("the XLSX file to write"))
