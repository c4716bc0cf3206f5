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

from bot.cli_language import cli, t
from bot.commands.base import CliError, Subparsers, add
from bot.commands.roster_messages import problem_line
from bot.context import AppContext
from locales import N_, Translator
from services.policy_loading import load_pack

if TYPE_CHECKING:
    from services.roster.importing.departures import Departures
    from services.roster.importing.importer import ImportResult
    from services.roster.importing.problems import Problem

EXIT_PROBLEMS = 1

_ENTITY_NAMES = {
    "units": N_("dispatching units"),
    "counties": N_("counties"),
    "townships": N_("townships"),
    "villages": N_("villages"),
    "teams": N_("teams"),
    "people": N_("people"),
    "cadres": N_("cadres"),
    "approver_posts": N_("approver posts"),
    "households": N_("households"),
    "pairings": N_("pairings"),
}


def _min_team_members(ctx: AppContext) -> int:
    # The policy pack in force sets the smallest team (central-2017 二(二), ganzhou Art.7).
    return load_pack(ctx.settings.policy).team.min_members


async def _import(args: argparse.Namespace, ctx: AppContext) -> int:
    path = Path(args.path)
    if args.template and args.example:
        raise CliError(t("give --template or --example, not both"))
    if args.template or args.example:
        return _write_template(path, force=args.force, example=args.example)
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
    tr = cli()
    if result.refused:
        # One line: who the file leaves out, and that nothing was written.
        n, names = len(result.departed), _names(result.departed)
        hint = "" if sys.stdin.isatty() else t("; without a terminal, confirm with --yes")
        print(
            t(
                "Not imported: ending the terms or posts of {n} people ({names}) was not "
                "confirmed; the database is unchanged{hint}",
                n=n,
                names=names,
                hint=hint,
            ),
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    if not result.ok:
        for problem in result.errors:
            print(problem_line(problem, tr), file=sys.stderr)
        _print_warnings(result.warnings, tr)
        print(
            t(
                "Not imported: {count} error(s); the database is unchanged",
                count=len(result.errors),
            ),
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    _print_warnings(result.warnings, tr)
    _print_summary(path, result, dry_run=args.dry_run)
    if result.departed:
        n, names = len(result.departed), _names(result.departed)
        if args.dry_run:
            print(t("Would end the terms or posts of {n} people: {names}", n=n, names=names))
        else:
            print(t("Ended the terms or posts of {n} people: {names}", n=n, names=names))
    return 0


def _names(departed: Departures) -> str:
    return "、".join(departed.names)


def _confirmer(*, yes: bool) -> Callable[[Departures], bool]:
    """Asks on the terminal before the import ends anyone's term or post."""

    def confirm(departed: Departures) -> bool:
        if yes:
            return True
        question = t(
            "This ends the terms or posts of {n} people: {names}. Go ahead? [y/N] ",
            n=len(departed),
            names=_names(departed),
        )
        if not sys.stdin.isatty():
            return False  # nobody to ask: refused, said once by the caller
        try:
            answer = input(question)
        except EOFError:
            return False
        return answer.strip().lower() in ("y", "yes", "是")

    return confirm


def _write_template(path: Path, *, force: bool, example: bool) -> int:
    if path.exists() and not force:
        raise CliError(t("{path} exists already; add --force to overwrite it", path=path))
    if path.is_dir():
        raise CliError(t("{path} is a folder: give an .xlsx file name", path=path))
    if example:
        # The demo county, typed into the template: what a filled-in roster looks like.
        from bot.demo.county import write_workbook

        write_workbook(path)
        print(
            t(
                "Example written to {path}: the demo county filled in; "
                "`zhucun import --dry-run {path}` checks it without writing",
                path=path,
            )
        )
        return 0
    from services.roster.importing.layout import write_template

    write_template(path)
    print(t("Template written to {path}", path=path))
    return 0


def _print_warnings(warnings: list[Problem], tr: Translator) -> None:
    for problem in warnings:
        print(t("Warning: {problem}", problem=problem_line(problem, tr)), file=sys.stderr)


def _print_summary(path: Path, result: ImportResult, *, dry_run: bool) -> None:
    head = (
        t("Dry run (nothing written) {path}", path=path)
        if dry_run
        else t("Imported {path}", path=path)
    )
    warned = t(", {count} warning(s)", count=len(result.warnings)) if result.warnings else ""
    print(head + warned)
    for key, counts in result.counts.items():
        if counts.created or counts.updated or counts.unchanged:
            print(
                t(
                    "  {what}: {created} new, {updated} updated, {unchanged} unchanged",
                    what=t(_ENTITY_NAMES[key]) if key in _ENTITY_NAMES else key,
                    created=counts.created,
                    updated=counts.updated,
                    unchanged=counts.unchanged,
                )
            )


def register(sub: Subparsers) -> None:
    parser = add(
        sub,
        "import",
        _import,
        N_("import the roster (花名册) from an .xlsx workbook or a folder of CSV files"),
    )
    parser.add_argument("path", metavar="PATH", help=t("roster.xlsx, or a folder of 村.csv etc."))
    parser.add_argument(
        "--template", action="store_true", help=t("write a blank roster workbook to PATH instead")
    )
    parser.add_argument(
        "--example",
        action="store_true",
        help=t("write a filled-in example roster (the demo county) to PATH instead"),
    )
    parser.add_argument(
        "--force", action="store_true", help=t("with --template or --example: overwrite PATH")
    )
    parser.add_argument(
        "--dry-run", action="store_true", help=t("check and report, but write nothing")
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help=t("end, without asking, the terms and posts of people the file leaves out"),
    )
