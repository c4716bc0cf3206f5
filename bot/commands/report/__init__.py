"""``zhucun report``: the sheets supervisors need, made from what was already recorded."""

from __future__ import annotations

from bot.cli_language import t
from bot.commands.base import Subparsers
from bot.commands.report import attendance as report_attendance
from bot.commands.report import leave as report_leave
from bot.commands.report import visits as report_visits


def register(sub: Subparsers) -> None:
    report = sub.add_parser(
        "report", help=t("write a report (XLSX)"), description=t("Write a report as an XLSX file.")
    )
    rsub = report.add_subparsers(dest="report_kind", metavar=t("REPORT"), required=True)
    for module in (report_leave, report_visits, report_attendance):
        module.register(rsub)
