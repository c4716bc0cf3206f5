"""Reading a roster: the workbook or a folder of CSV files, into rows keyed by column,
ready for ``cells`` to turn single cells into domain values. Sheets and columns are
matched against ``layout.SHEETS``; what does not fit becomes a ``Problem``. Nothing here
knows the database.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from services.roster.importing.cells import Cell, norm_label
from services.roster.importing.layout import (
    EXAMPLE_MARK,
    INSTRUCTIONS_TITLE,
    PAIRINGS,
    SHEETS,
    Column,
    SheetSpec,
)
from services.roster.importing.problems import Param, Problem, RosterFileError, Severity

# Header words that mean an ID-card number: never read, whatever the sheet.
_ID_CARD_WORDS = ("身份证", "证件号", "idcard", "idnumber", "idno", "identity")


def _labels(column: Column) -> set[str]:
    return {norm_label(column.header), *(norm_label(a) for a in column.aliases)}


def is_id_card_header(label: str) -> bool:
    norm = norm_label(label)
    return any(word in norm for word in _ID_CARD_WORDS)


@dataclass(frozen=True)
class RawRow:
    number: int  # as Excel shows it: the header is row 1
    values: dict[str, Cell]


@dataclass
class SheetData:
    spec: SheetSpec
    title: str  # as written in the file
    headers: dict[str, str] = field(default_factory=dict)  # column key → header as written
    rows: list[RawRow] = field(default_factory=list)
    usable: bool = True  # False when a required header is missing: its rows are not checked

    def header(self, key: str) -> str:
        return self.headers.get(key) or self.spec.column(key).header

    def has(self, key: str) -> bool:
        return key in self.headers


@dataclass
class RosterFile:
    source: Path
    sheets: dict[str, SheetData] = field(default_factory=dict)  # by SheetSpec.key
    problems: list[Problem] = field(default_factory=list)

    def sheet(self, key: str) -> SheetData | None:
        return self.sheets.get(key)


def read_roster(path: Path) -> RosterFile:
    """Read a roster workbook (.xlsx) or a folder of CSV files named after the sheets.

    Raises ``RosterFileError`` when the file cannot be read at all; everything else
    (missing sheets or headers, unknown columns) becomes a ``Problem`` on the result.
    """
    if path.is_file() and path.suffix.lower() == ".csv":
        raise RosterFileError("roster_single_csv", path=str(path))
    if path.is_dir():
        tables = _csv_tables(path)
    elif path.is_file():
        tables = _xlsx_tables(path)
    else:
        raise RosterFileError("roster_not_found", path=str(path))
    roster = RosterFile(source=path)
    for title, rows in tables:
        _add_table(roster, title, rows)
    for spec in SHEETS:
        if spec.required and spec.key not in roster.sheets:
            roster.problems.append(Problem(Severity.ERROR, spec.title, None, None, "missing_sheet"))
    return roster


Table = tuple[str, Iterable[Sequence[Cell]]]


def _xlsx_tables(path: Path) -> list[Table]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise RosterFileError("roster_unreadable", path=str(path), reason=str(exc)) from exc
    try:
        # Materialised now: a read-only workbook must be closed, and rosters are small.
        tables: list[Table] = []
        for ws in workbook.worksheets:
            if isinstance(ws, ReadOnlyWorksheet):
                # Some programs write a wrong used range ("A1"); only that would be read.
                ws.reset_dimensions()
            rows = [[_plain(v) for v in row] for row in ws.iter_rows(values_only=True)]
            tables.append((ws.title, rows))
        return tables
    finally:
        workbook.close()


def _plain(value: object) -> Cell:
    """openpyxl's rarer cell types (Decimal, rich text, formulas) as plain values."""
    if value is None or isinstance(value, str | int | float | bool | date | datetime | time):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def _csv_tables(folder: Path) -> list[Table]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    if not files:
        raise RosterFileError("roster_no_csv", path=str(folder))
    return [(p.stem, _read_csv(p)) for p in files]


def _read_csv(path: Path) -> list[list[Cell]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on a Chinese Windows saves "CSV" in GB18030 (GBK); accept that too.
        text = raw.decode("gb18030")
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]


def _match_sheet(title: str) -> SheetSpec | None:
    norm = norm_label(title)
    for spec in SHEETS:
        if norm in {norm_label(spec.title), *(norm_label(a) for a in spec.aliases)}:
            return spec
    return None


def _add_table(roster: RosterFile, title: str, rows: Iterable[Sequence[Cell]]) -> None:
    if norm_label(title) == norm_label(INSTRUCTIONS_TITLE):
        return
    spec = _match_sheet(title)
    if spec is None:
        roster.problems.append(Problem(Severity.WARNING, title, None, None, "unknown_sheet"))
        return
    if spec.key in roster.sheets:
        first = roster.sheets[spec.key].title
        roster.problems.append(
            Problem(
                Severity.ERROR,
                title,
                None,
                None,
                "duplicate_sheet",
                {"first": first},
            )
        )
        return
    sheet = SheetData(spec=spec, title=title.strip())
    roster.sheets[spec.key] = sheet
    iterator = iter(rows)
    header = next(iterator, ())
    positions = _read_header(sheet, header, roster.problems)
    for index, values in enumerate(iterator, start=2):
        if _is_blank(values) or _is_example(values):
            continue
        cells = {key: values[i] if i < len(values) else None for key, i in positions.items()}
        sheet.rows.append(RawRow(index, cells))


def _read_header(
    sheet: SheetData, header: Sequence[Cell], problems: list[Problem]
) -> dict[str, int]:
    """Column key → position; warns about unknown columns, errs on missing required ones."""
    spec = sheet.spec
    positions: dict[str, int] = {}
    for i, cell in enumerate(header):
        label = "" if cell is None else str(cell).strip()
        if not label:
            continue
        if is_id_card_header(label):
            problems.append(_header_problem(sheet, label, Severity.WARNING, "id_card_ignored"))
            continue
        key = _match_column(spec, label)
        if key is None:
            problems.append(_header_problem(sheet, label, Severity.WARNING, "unknown_column"))
        elif key in positions:
            problems.append(
                _header_problem(
                    sheet,
                    label,
                    Severity.ERROR,
                    "duplicate_column",
                    first=sheet.headers[key],
                )
            )
            sheet.usable = False
        else:
            positions[key] = i
            sheet.headers[key] = label
    missing: dict[str, Param] = {
        "columns": tuple(c.header for c in spec.columns if c.required and c.key not in positions)
    }
    if spec is PAIRINGS and not _pairing_household_columns(positions):
        # Either column set will do; listed after the others as one choice.
        keys = ("household_code", "head", "township", "village")
        missing["household"] = tuple(PAIRINGS.column(k).header for k in keys)
    if missing["columns"] or "household" in missing:
        problems.append(Problem(Severity.ERROR, sheet.title, 1, None, "missing_columns", missing))
        sheet.usable = False
    return positions


def _pairing_household_columns(positions: dict[str, int]) -> bool:
    return "household_code" in positions or {"head", "township", "village"} <= positions.keys()


def _header_problem(
    sheet: SheetData, label: str, severity: Severity, code: str, **params: Param
) -> Problem:
    return Problem(severity, sheet.title, 1, label, code, params)


def _match_column(spec: SheetSpec, label: str) -> str | None:
    norm = norm_label(label)
    for column in spec.columns:
        if norm in _labels(column):
            return column.key
    return None


def _is_example(values: Sequence[Cell]) -> bool:
    first = values[0] if values else None
    return isinstance(first, str) and first.strip().startswith(EXAMPLE_MARK)


def is_empty(roster: RosterFile) -> bool:
    """No row to import on any sheet (a blank template, or its examples only)."""
    return not any(sheet.rows for sheet in roster.sheets.values())


def _is_blank(values: Sequence[Cell]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def iter_sheet_rows(roster: RosterFile, key: str) -> Iterator[tuple[SheetData, RawRow]]:
    """The rows of one sheet, or none when it is absent or its header is broken."""
    sheet = roster.sheet(key)
    if sheet is None or not sheet.usable:
        return
    for row in sheet.rows:
        yield sheet, row
