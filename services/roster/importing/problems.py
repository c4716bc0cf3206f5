"""What is wrong with a roster: a ``Problem`` per cell, row, column or sheet, and the
``RosterFileError`` of a file that cannot be read at all."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.errors import DomainError


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the roster, located as the person sees it in Excel.

    ``row`` counts from 1 with the header as row 1; ``column`` is the header text.
    ``code`` is stable for programs; ``message`` is the Chinese text for people.
    """

    severity: Severity
    sheet: str
    row: int | None
    column: str | None
    code: str
    message: str

    def line(self) -> str:
        """``工作队员 第5行 手机: 手机号重复（与第3行相同）``; unknown parts are left out."""
        where = [self.sheet] if self.sheet else []
        if self.row is not None:
            where.append(f"第{self.row}行")
        if self.column:
            where.append(self.column)
        return f"{' '.join(where)}: {self.message}" if where else self.message

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class RosterFileError(DomainError):
    """The roster as a whole cannot be read (missing, not a workbook, empty folder)."""
