"""``zhucun import``: load the roster (花名册) from a workbook or a folder of CSV files,
or write its blank template.

Problems are printed one per line as ``工作表 第N行 列: 问题``; with any error nothing is
written and the exit status is 1.

The file is the whole roster: cadres and approver posts it leaves out end (their names
and count are printed). It asks before ending anyone; ``--yes`` answers yes, and without a
terminal to ask on and without ``--yes`` it refuses (exit 1) and writes nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.commands.base import CliError, Subparsers, add
from bot.commands.roster_messages import problem_line
from bot.context import AppContext
from locales import Translator, office_translator
from services.policy_loading import load_pack

if TYPE_CHECKING:
    from services.roster.importing.departures import Departures
    from services.roster.importing.importer import ImportResult
    from services.roster.importing.problems import Problem

EXIT_PROBLEMS = 1

_ENTITY_NAMES = {
    "units": "派出单位",
    "counties": "县",
    "townships": "乡镇",
    "villages": "村",
    "teams": "工作队",
    "people": "人员",
    "cadres": "工作队员",
    "approver_posts": "审批岗位",
    "households": "农户",
    "pairings": "结对",
}


def _min_team_members(ctx: AppContext) -> int:
    # The policy pack in force sets the smallest team (central-2017 二(二), ganzhou Art.7).
    return load_pack(ctx.settings.policy).team.min_members


async def _import(args: argparse.Namespace, ctx: AppContext) -> int:
    path = Path(args.path)
    if args.template:
        return _write_template(path, force=args.force)
    from services.roster.importing.importer import import_roster

    now = ctx.clock.now()
    confirm = _confirmer(yes=args.yes or args.dry_run)
    async with await ctx.uow() as uow:
        result = await import_roster(
            uow.session,
            path,
            now=now,
            min_team_members=_min_team_members(ctx),
            today=now.astimezone(ctx.settings.zone).date(),
            confirm=confirm,
        )
        if result.ok and not args.dry_run:
            await uow.commit()
    zh = office_translator()
    if result.refused:
        # One line: who the file leaves out, and that nothing was written.
        n, names = len(result.departed), _names(result.departed)
        hint = "" if sys.stdin.isatty() else "；非交互运行请加 --yes 确认"
        print(
            f"未导入：未确认结束 {n} 人的驻村/岗位（{names}），数据库未改动{hint}", file=sys.stderr
        )
        return EXIT_PROBLEMS
    if not result.ok:
        for problem in result.errors:
            print(problem_line(problem, zh), file=sys.stderr)
        _print_warnings(result.warnings, zh)
        print(f"未导入：共{len(result.errors)}个错误，数据库未改动", file=sys.stderr)
        return EXIT_PROBLEMS
    _print_warnings(result.warnings, zh)
    _print_summary(path, result, dry_run=args.dry_run)
    if result.departed:
        verb = "将结束" if args.dry_run else "已结束"
        print(f"{verb} {len(result.departed)} 人的驻村/岗位：{_names(result.departed)}")
    return 0


def _names(departed: Departures) -> str:
    return "、".join(departed.names)


def _confirmer(*, yes: bool) -> Callable[[Departures], bool]:
    """Asks on the terminal before the import ends anyone's term or post."""

    def confirm(departed: Departures) -> bool:
        if yes:
            return True
        question = f"将结束以下 {len(departed)} 人的驻村/岗位：{_names(departed)} 确定吗？[y/N] "
        if not sys.stdin.isatty():
            return False  # nobody to ask: refused, said once by the caller
        try:
            answer = input(question)
        except EOFError:
            return False
        return answer.strip().lower() in ("y", "yes", "是")

    return confirm


def _write_template(path: Path, *, force: bool) -> int:
    if path.exists() and not force:
        raise CliError(f"{path} 已存在；如要覆盖请加 --force")
    if path.is_dir():
        raise CliError(f"{path} 是文件夹；请给出 .xlsx 文件名")
    from services.roster.importing.layout import write_template

    write_template(path)
    print(f"已写入模板 {path}")
    return 0


def _print_warnings(warnings: list[Problem], zh: Translator) -> None:
    for problem in warnings:
        print(f"警告：{problem_line(problem, zh)}", file=sys.stderr)


def _print_summary(path: Path, result: ImportResult, *, dry_run: bool) -> None:
    head = f"试运行（未写入）{path}" if dry_run else f"已导入 {path}"
    print(head + (f"，{len(result.warnings)}条警告" if result.warnings else ""))
    for key, counts in result.counts.items():
        if counts.created or counts.updated or counts.unchanged:
            name = _ENTITY_NAMES.get(key, key)
            print(
                f"  {name}：新增 {counts.created}，更新 {counts.updated}，未变 {counts.unchanged}"
            )


def register(sub: Subparsers) -> None:
    parser = add(
        sub,
        "import",
        _import,
        "import the roster (花名册) from an .xlsx workbook or a folder of CSV files",
    )
    parser.add_argument("path", metavar="PATH", help="roster.xlsx, or a folder of 村.csv etc.")
    parser.add_argument(
        "--template", action="store_true", help="write a blank roster workbook to PATH instead"
    )
    parser.add_argument("--force", action="store_true", help="with --template: overwrite PATH")
    parser.add_argument(
        "--dry-run", action="store_true", help="check and report, but write nothing"
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="end, without asking, the terms and posts of people the file leaves out",
    )
