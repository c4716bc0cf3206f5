"""``zhucun report visits``: the quarter's visit ledger (走访台账) and coverage sheet."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.commands.base import CliError, Subparsers, add
from bot.commands.report.common import resolve_scope, write_output
from bot.context import AppContext
from locales import office_translator
from services.errors import DomainError
from services.policy_loading import load_pack


async def _visits(args: argparse.Namespace, ctx: AppContext) -> int:
    from services.periods import Period
    from services.policy import Cadence
    from services.visits.ledger_report import visit_ledger

    zone = ctx.settings.zone
    now = ctx.clock.now()
    try:
        quarter = (
            Period.parse(args.quarter, Cadence.QUARTERLY)
            if args.quarter
            else Period.of(Cadence.QUARTERLY, now, zone)
        )
    except DomainError:
        raise CliError(f"季度“{args.quarter}”应写成 2026Q4 这样的形式") from None
    output = Path(args.output)
    if output.suffix.lower() != ".xlsx":  # checked before the work, not only after
        raise CliError(f"{output}：输出文件应以 .xlsx 结尾")
    pack = load_pack(ctx.settings.policy)
    async with await ctx.uow() as uow:
        scope, name = await resolve_scope(uow.session, args.township, args.county)
        # The county offices file the ledger in Chinese.
        zh = office_translator()
        content, cov, visits = await visit_ledger(
            uow.session, pack, quarter, scope, now=now, zone=zone, t=zh
        )
    write_output(output, content)
    print(
        f"已写入 {output}：{quarter.year}年第{quarter.index}季度 {name}，"
        f"走访记录 {visits} 条；结对 {cov.pairings} 户，已走访 {cov.visited} 户，"
        f"未走访 {cov.pairings - cov.visited} 户，返贫风险标记 {cov.risk_flags} 次"
    )
    return 0


def register(sub: Subparsers) -> None:
    parser = add(
        sub,
        "visits",
        _visits,
        "the visit ledger (走访台账, one row per visit) and the quarter's coverage sheet",
    )
    parser.add_argument(
        "--quarter", metavar="YYYYQn", help="the calendar quarter, e.g. 2026Q4 (default: this one)"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--township", metavar="NAME", help="one township (县/乡镇 when the name is not unique)"
    )
    where.add_argument("--county", metavar="NAME", help="one county")
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE.xlsx", help="where to write the workbook"
    )
