"""The attendance sheet's figures (考勤表): one row per cadre, from the presence ledger.

Days by class, days counted toward the minimum, the living allowance (allowance days × the
pack's daily rate, ganzhou Art.27(二) / qinghai item 5) and the transport reimbursement
(ganzhou Art.27(一)); the confirmed rows are kept as JSON so a sheet never changes after it
is stamped. ``attendance_workbook`` prints them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict

from models.enums import DayClass, SheetState
from services.messaging import templates
from services.policy import PolicyPack
from services.presence.day_ledger import CadreMonth
from services.presence.days import month_days
from services.presence.trips import transport


class _Presumption(TypedDict, total=False):
    """Missing in rows queued before the sheet told evidence from presumption (a class of
    its own: ``NotRequired`` is not seen through this module's string annotations)."""

    in_village: int
    presumed: int


class DraftParams(_Presumption):
    """``attendance.draft``: the sheet's figures (``SheetView.summary``)."""

    sheet_id: int
    township: str
    year: int
    month: int
    cadres: int
    met: int
    not_met: list[str]
    absent: int
    allowance: str
    transport: str
    confirmed: bool


templates.declare("attendance.draft", DraftParams)


@dataclass(frozen=True)
class SheetRow:
    cadre_id: int
    name: str
    village: str
    role: str
    unit: str
    days: tuple[DayClass | None, ...]  # one per day of the month; None: not in post
    in_village: int
    official: int
    personal: int
    sick: int
    annual: int
    absent: int
    rest: int
    counted: int
    minimum: int
    met: bool
    allowance_days: int
    allowance: Decimal
    trips: int
    km: Decimal
    transport: Decimal
    # Days of the month (1–31) in the village by presumption alone, not shown by a location,
    # a visit or the township's correction; None on a sheet confirmed before this was kept.
    presumed: tuple[int, ...] | None = None

    @property
    def total(self) -> Decimal:
        return self.allowance + self.transport

    @property
    def evidenced(self) -> int | None:
        """Days in the village shown by evidence; None when not known (an old sheet)."""
        return None if self.presumed is None else self.in_village - len(self.presumed)


def row_of(pack: PolicyPack, cadre: CadreMonth, kms: list[Decimal]) -> SheetRow:
    rate = pack.money.allowance_per_day
    paid = transport(pack, kms)
    allowance_days = cadre.allowance_days
    return SheetRow(
        cadre_id=cadre.cadre_id,
        name=cadre.name,
        village=cadre.village,
        role=cadre.team_role.value,
        unit=cadre.unit,
        days=tuple(cadre.days.get(d) for d in month_days(cadre.year, cadre.month)),
        in_village=cadre.count(DayClass.IN_VILLAGE),
        official=cadre.count(DayClass.OFFICIAL_BUSINESS),
        personal=cadre.count(DayClass.PERSONAL_LEAVE),
        sick=cadre.count(DayClass.SICK_LEAVE),
        annual=cadre.count(DayClass.ANNUAL_LEAVE),
        absent=cadre.count(DayClass.ABSENT),
        rest=cadre.count(DayClass.REST),
        counted=cadre.counted,
        minimum=cadre.minimum,
        met=cadre.met,
        allowance_days=allowance_days,
        allowance=Decimal(0) if rate is None else rate * allowance_days,
        trips=paid.counted,
        km=paid.km,
        transport=paid.amount,
        presumed=tuple(d.day for d in cadre.presumed_days),
    )


@dataclass(frozen=True)
class Sheet:
    township_id: int
    township: str
    county: str
    year: int
    month: int
    rows: tuple[SheetRow, ...]
    policy: str
    minimum: int
    allowance_rate: Decimal | None
    transport_rate: Decimal | None
    max_trips: int | None
    sheet_id: int | None = None
    state: SheetState | None = None  # None: no sheet drafted yet
    confirmed_by: str = ""
    confirmed_at: datetime | None = None
    # The pack's reading of a day, for the sheet's "how days are counted" line.
    counted_classes: tuple[DayClass, ...] = ()
    allowance_classes: tuple[DayClass, ...] = ()

    @classmethod
    def of(
        cls, pack: PolicyPack, township: str, county: str, township_id: int, year: int,
        month: int, rows: tuple[SheetRow, ...],
    ) -> Sheet:  # fmt: skip
        money = pack.money
        return cls(
            township_id, township, county, year, month, rows, pack.title,
            pack.presence.min_days_per_month, money.allowance_per_day, money.transport_per_km,
            money.transport_max_round_trips_per_month,
            counted_classes=tuple(pack.presence.counted_classes),
            allowance_classes=tuple(pack.presence.allowance_classes),
        )  # fmt: skip

    def summary(self) -> dict[str, Any]:
        """Plain figures for a chat message about the sheet."""
        return {
            "sheet_id": self.sheet_id,
            "township": self.township,
            "year": self.year,
            "month": self.month,
            "cadres": len(self.rows),
            "met": sum(1 for r in self.rows if r.met),
            "not_met": [r.name for r in self.rows if not r.met],
            "absent": sum(r.absent for r in self.rows),
            "allowance": str(sum((r.allowance for r in self.rows), Decimal(0))),
            "transport": str(sum((r.transport for r in self.rows), Decimal(0))),
            "confirmed": self.state is SheetState.CONFIRMED,
            **self._presumption(),
        }

    def _presumption(self) -> dict[str, int]:
        if any(r.presumed is None for r in self.rows):
            return {}
        presumed = [r.presumed or () for r in self.rows]
        in_village = sum(r.in_village for r in self.rows)
        return {"in_village": in_village, "presumed": sum(len(p) for p in presumed)}


def rows_to_json(sheet: Sheet) -> str:
    """The rows as confirmed, for ``AttendanceSheet.snapshot``."""
    return json.dumps([asdict(r) for r in sheet.rows], ensure_ascii=False, default=str)


def rows_from_json(text: str) -> tuple[SheetRow, ...]:
    rows = []
    for raw in json.loads(text):
        raw["days"] = tuple(DayClass(d) if d else None for d in raw["days"])
        if raw.get("presumed") is not None:
            raw["presumed"] = tuple(raw["presumed"])
        for key in ("allowance", "km", "transport"):
            raw[key] = Decimal(raw[key])
        rows.append(SheetRow(**raw))
    return tuple(rows)
