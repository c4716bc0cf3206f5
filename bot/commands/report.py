"""``zhucun report``: the sheets supervisors need, made from what was already recorded."""

from __future__ import annotations

from bot.commands.base import Subparsers


def register(sub: Subparsers) -> None:
    report = sub.add_parser(
        "report", help="write a report (XLSX)", description="Write a report as an XLSX file."
    )
    rsub = report.add_subparsers(dest="report_kind", metavar="REPORT", required=True)
    # Each report registers itself here; see bot/commands/report_*.py.
    for module in _reports():
        module.register(rsub)


def _reports() -> list:  # type: ignore[type-arg]
    return []
