"""What every ``zhucun report`` sheet shares: the area named on the command line, and the file
written. The report modules import this one, never ``report.py``: that one imports them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli_language import t
from bot.commands.base import CliError
from locales import N_
from services.errors import DomainError

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from services.visits.coverage import Scope

SCOPE_ERRORS = {
    "report_county_unknown": N_('No county named "{county}"'),
    "report_township_unknown": N_('No township named "{township}"'),
    "report_township_ambiguous": N_(
        'More than one township is named "{township}": {choices}; write it as county/township'
    ),
    "report_scope_both": N_("give --township or --county, not both"),
}


async def resolve_scope(
    session: AsyncSession, township: str | None, county: str | None
) -> tuple[Scope, str]:
    """The area a report covers, named on the command line, and its name for the title."""
    from services.visits.ledger_report import report_scope

    try:
        scope = await report_scope(session, township=township, county=county)
    except DomainError as exc:
        template = SCOPE_ERRORS.get(exc.code)
        if template is None:
            raise
        raise CliError(t(template, **exc.params)) from None
    return scope, (township or county or t("all")).split("/")[-1]


def write_output(output: Path, content: bytes) -> None:
    if output.suffix.lower() != ".xlsx":
        raise CliError(not_xlsx(output))
    if output.is_dir():
        raise CliError(t("{path} is a folder: give an .xlsx file name", path=output))
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(content)
    except OSError as exc:
        raise CliError(
            t("{path}: cannot write it ({error})", path=output, error=exc.strerror or exc)
        ) from None


def not_xlsx(output: Path) -> str:
    return t("{path}: the output file's name must end in .xlsx", path=output)


def bad_month(text: str) -> str:
    return t('The month "{text}" should be written like 2026-11', text=text)
