"""``zhucun report leave``: the month's leave register (请假登记) as XLSX."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from bot.commands.base import CliError, Subparsers, add
from bot.commands.report.common import resolve_scope, write_output
from bot.context import AppContext
from locales import office_translator


async def _leave(args: argparse.Namespace, ctx: AppContext) -> int:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", args.month)
    if not match or not 1 <= int(match[2]) <= 12:
        raise CliError(f"月份“{args.month}”应写成 2026-12 这样的形式")
    year, month = int(match[1]), int(match[2])
    from services.leave.register import leave_rows, register_workbook

    output = Path(args.output)
    async with await ctx.uow() as uow:
        scope, scope_name = await resolve_scope(uow.session, args.township, args.county)
        rows = await leave_rows(uow.session, year, month, scope)
    # The county files the register in Chinese.
    zh = office_translator()
    write_output(output, register_workbook(rows, year, month, scope_name, ctx.settings.zone, zh))
    print(f"请假登记 {year}年{month}月（{scope_name}）：{len(rows)} 条，已写入 {output}")
    return 0


def register(sub: Subparsers) -> None:
    parser = add(sub, "leave", _leave, "the month's leave register (请假登记)")
    parser.add_argument("--month", required=True, help="the month, e.g. 2026-12")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--township", help="one township (乡镇, or 县/乡镇 when not unique)")
    where.add_argument("--county", help="one county (县)")
    parser.add_argument("-o", "--output", required=True, help="the XLSX file to write")
