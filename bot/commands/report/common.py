"""What every ``zhucun report`` sheet shares: the area named on the command line, and the file
written. The report modules import this one, never ``report.py``: that one imports them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.commands.base import CliError
from services.errors import DomainError

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from services.visits.coverage import Scope

SCOPE_ERRORS = {
    "report_county_unknown": "找不到县（区）“{county}”",
    "report_township_unknown": "找不到乡镇“{township}”",
    "report_township_ambiguous": "有多个乡镇叫“{township}”：{choices}；请写成 县/乡镇",
    "report_scope_both": "--township 和 --county 只能给一个",
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
        raise CliError(template.format(**exc.params)) from None
    return scope, (township or county or "全部").split("/")[-1]


def write_output(output: Path, content: bytes) -> None:
    if output.suffix.lower() != ".xlsx":
        raise CliError(f"{output}：输出文件应以 .xlsx 结尾")
    if output.is_dir():
        raise CliError(f"{output} 是文件夹；请给出 .xlsx 文件名")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(content)
    except OSError as exc:
        raise CliError(f"{output}：无法写入（{exc.strerror or exc}）") from None
