"""What is wrong with a roster: a ``Problem`` per cell, row, column or sheet, and the
``RosterFileError`` of a file that cannot be read at all."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from services.errors import DomainError

#: A problem's detail: cell text, a row number, or a list (of columns, options, paths).
Param = str | int | float | tuple[str, ...]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the roster, located as the person sees it in Excel.

    ``row`` counts from 1 with the header as row 1; ``column`` is the header text.
    ``code`` is stable for programs; the words for people are the caller's, chosen by
    ``code`` and ``variant`` (a code said two ways, as a unit or a place not found) and
    filled with ``params``. Sheet and column names in ``params`` are the file's own.
    """

    severity: Severity
    sheet: str
    row: int | None
    column: str | None
    code: str
    params: Mapping[str, Param] = field(default_factory=dict)
    variant: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class RosterFileError(DomainError):
    """The roster as a whole cannot be read (missing, not a workbook, empty folder)."""
