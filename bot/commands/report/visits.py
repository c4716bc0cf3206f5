"""``zhucun report visits``: the quarter's visit ledger (走访台账) and coverage sheet."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli_language import t
from bot.commands.base import CliError, Subparsers, add
from bot.commands.report.common import not_xlsx, resolve_scope, write_output
from bot.context import AppContext
from locales import N_, office_translator
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
        raise CliError(
            t('The quarter "{text}" should be written like 2026Q4', text=args.quarter)
        ) from None
    output = Path(args.output)
    if output.suffix.lower() != ".xlsx":  # checked before the work, not only after
        raise CliError(not_xlsx(output))
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
        t(
            "Written to {path}: {year} Q{quarter}, {scope}, {visits} visit(s); {paired} "
            "paired household(s), {visited} visited, {unvisited} not visited, {flags} risk "
            "flag(s)",
            path=output,
            year=quarter.year,
            quarter=quarter.index,
            scope=name,
            visits=visits,
            paired=cov.pairings,
            visited=cov.visited,
            unvisited=cov.pairings - cov.visited,
            flags=cov.risk_flags,
        )
    )
    return 0


def register(sub: Subparsers) -> None:
    parser = add(
        sub,
        "visits",
        _visits,
        N_("the visit ledger (走访台账, one row per visit) and the quarter's coverage sheet"),
    )
    parser.add_argument(
        "--quarter",
        metavar="YYYYQn",
        help=t("the calendar quarter, e.g. 2026Q4 (default: this one)"),
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--township", metavar="NAME", help=t("one township (县/乡镇 when the name is not unique)")
    )
    where.add_argument("--county", metavar="NAME", help=t("one county"))
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE.xlsx", help=t("where to write the workbook")
    )
