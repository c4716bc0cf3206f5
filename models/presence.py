"""Tables for presence (derived, never clocked), spot checks, recall, training, reports."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index, Numeric, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.enum_type import StrEnumType
from models.enums import CheckState, DayClass, RecallState, SheetState, UnitLevel
from models.types import UTCDateTime


class LocationReport(SQLModel, table=True):
    """A location the cadre shared (or a visit carried): evidence of presence that day."""

    __tablename__ = "location_reports"
    __table_args__ = (Index("ix_location_reports_cadre_time", "cadre_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    cadre_id: int = Field(foreign_key="cadres.id")
    at: datetime = Field(sa_type=UTCDateTime)
    latitude: float
    longitude: float
    source: str = Field(sa_type=String(20))  # location | here | visit | spotcheck
    distance_m: float | None = None  # from the village's coordinates, when known
    inside: bool = False


class SpotCheck(SQLModel, table=True):
    """抽查: an approver asks named cadres to share where they are, within a deadline."""

    __tablename__ = "spot_checks"

    id: int | None = Field(default=None, primary_key=True)
    requested_by_person_id: int = Field(foreign_key="people.id")
    query: str = Field(default="", sa_type=String(100))
    created_at: datetime = Field(sa_type=UTCDateTime)
    deadline_at: datetime = Field(sa_type=UTCDateTime)


class SpotCheckTarget(SQLModel, table=True):
    __tablename__ = "spot_check_targets"
    __table_args__ = (UniqueConstraint("spot_check_id", "cadre_id"),)

    id: int | None = Field(default=None, primary_key=True)
    spot_check_id: int = Field(foreign_key="spot_checks.id", index=True)
    cadre_id: int = Field(foreign_key="cadres.id", index=True)
    day: date  # the local day checked
    state: CheckState = Field(sa_type=StrEnumType(CheckState))
    location_report_id: int | None = Field(default=None, foreign_key="location_reports.id")
    on_leave_id: int | None = Field(default=None, foreign_key="leave_requests.id")
    explanation: str = Field(default="", sa_type=Text)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Sanction(SQLModel, table=True):
    """What a policy threshold did on confirmed absences: a notice (通报), a recall proposal,
    no award this year. Unique per cause, so a threshold acts once."""

    __tablename__ = "sanctions"
    __table_args__ = (UniqueConstraint("cadre_id", "kind", "cause"),)

    id: int | None = Field(default=None, primary_key=True)
    cadre_id: int = Field(foreign_key="cadres.id", index=True)
    kind: str = Field(sa_type=String(30))  # notice | recall_proposal | no_award
    year: int
    cause: str = Field(sa_type=String(60))  # e.g. "absence:3" (the check target's id)
    at: datetime = Field(sa_type=UTCDateTime)
    note: str = Field(default="", sa_type=Text)


class Recall(SQLModel, table=True):
    """召回 (ganzhou Art.22): proposed by the township, decided by the county leading group."""

    __tablename__ = "recalls"

    id: int | None = Field(default=None, primary_key=True)
    cadre_id: int = Field(foreign_key="cadres.id", index=True)
    ground: str = Field(sa_type=String(40))  # a key of the pack's recall.grounds
    note: str = Field(default="", sa_type=Text)
    state: RecallState = Field(sa_type=StrEnumType(RecallState))
    proposed_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    proposed_at: datetime = Field(sa_type=UTCDateTime)
    decided_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_note: str = Field(default="", sa_type=Text)


class DayCorrection(SQLModel, table=True):
    """An approver's correction of one day on the attendance sheet; the latest one counts."""

    __tablename__ = "day_corrections"
    __table_args__ = (Index("ix_day_corrections_cadre_day", "cadre_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    cadre_id: int = Field(foreign_key="cadres.id")
    day: date
    day_class: DayClass = Field(sa_type=StrEnumType(DayClass))
    reason: str = Field(sa_type=Text)
    by_person_id: int = Field(foreign_key="people.id")
    at: datetime = Field(sa_type=UTCDateTime)


class AttendanceSheet(SQLModel, table=True):
    """考勤表: one township's month, drafted from the ledger, confirmed (then locked)."""

    __tablename__ = "attendance_sheets"
    __table_args__ = (UniqueConstraint("township_id", "year", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    township_id: int = Field(foreign_key="townships.id")
    year: int
    month: int
    state: SheetState = Field(sa_type=StrEnumType(SheetState))
    built_at: datetime = Field(sa_type=UTCDateTime)
    confirmed_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The figures as confirmed (JSON): what was stamped stays as stamped, whatever is
    # recorded about the month later (migration 0004).
    snapshot: str | None = Field(default=None, sa_type=Text)


class Trip(SQLModel, table=True):
    """A self-driven round trip the cadre logged (/trip <km>), for transport reimbursement."""

    __tablename__ = "trips"
    __table_args__ = (Index("ix_trips_cadre_day", "cadre_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    cadre_id: int = Field(foreign_key="cadres.id")
    day: date
    km: Decimal = Field(sa_type=Numeric(8, 1))
    note: str = Field(default="", sa_type=String(200))
    at: datetime = Field(sa_type=UTCDateTime)


class Training(SQLModel, table=True):
    """A training a cadre attended (/training), by level: 省/市/县."""

    __tablename__ = "trainings"
    __table_args__ = (Index("ix_trainings_cadre_day", "cadre_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    cadre_id: int = Field(foreign_key="cadres.id")
    day: date
    level: UnitLevel = Field(sa_type=StrEnumType(UnitLevel))
    days: int
    topic: str = Field(default="", sa_type=String(200))
    recorded_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    at: datetime = Field(sa_type=UTCDateTime)


class TeamReport(SQLModel, table=True):
    """The team's half-year work report (思想、工作、学习, central-2017 四(二))."""

    __tablename__ = "team_reports"
    __table_args__ = (UniqueConstraint("team_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id")
    period: str = Field(sa_type=String(8))  # "2026H2"
    text: str = Field(sa_type=Text)
    submitted_by_person_id: int = Field(foreign_key="people.id")
    submitted_at: datetime = Field(sa_type=UTCDateTime)
