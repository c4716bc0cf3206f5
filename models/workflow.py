"""Tables of what people do through the bot: leave, visits, the outbox and the audit trail."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

from models.enum_type import StrEnumType
from models.enums import ApproverKind, Channel, LeaveKind, LeaveState, OutboxState, VisitMode
from models.tables import utcnow
from models.types import UTCDateTime


class LeaveRequest(SQLModel, table=True):
    """请假: one request, from asking to returning. Every change is also an AuditEvent."""

    __tablename__ = "leave_requests"
    __table_args__ = (
        Index("ix_leave_requests_cadre_dates", "cadre_id", "start_date", "end_date"),
        Index("ix_leave_requests_state_route", "state", "route_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cadre_id: int = Field(foreign_key="cadres.id")
    kind: LeaveKind = Field(sa_type=StrEnumType(LeaveKind))
    emergency: bool = False
    start_date: date
    end_date: date
    days: int
    reason: str = Field(default="", sa_type=Text)
    state: LeaveState = Field(sa_type=StrEnumType(LeaveState))
    # Where the pack routed it (the tier's post) and where it waits now (after escalation).
    routed_to: ApproverKind = Field(sa_type=StrEnumType(ApproverKind))
    waiting_on: ApproverKind = Field(sa_type=StrEnumType(ApproverKind))
    route_key: str = Field(sa_type=String(40))  # jurisdiction_key of the post it waits on
    # Since when it waits on ``waiting_on``: reminders and escalation count from here.
    waiting_since: datetime = Field(sa_type=UTCDateTime)
    replacement_required: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime)
    # When the written request exists: at once normally, later for an emergency (补办).
    written_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    decision_note: str = Field(default="", sa_type=Text)
    returned_on: date | None = None
    returned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """Who did what to which record, when: leave decisions, recalls, refused presses."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(sa_type=String(30))
    entity_id: int | None = None
    action: str = Field(sa_type=String(40))
    from_state: str | None = Field(default=None, sa_type=String(30))
    to_state: str | None = Field(default=None, sa_type=String(30))
    actor_person_id: int | None = Field(default=None, foreign_key="people.id")
    at: datetime = Field(sa_type=UTCDateTime)
    note: str = Field(default="", sa_type=Text)


class OutboxMessage(SQLModel, table=True):
    """A message to someone other than the current sender, written in the same transaction
    as its cause and sent by the relay. ``template`` and ``params`` are rendered at send
    time in the recipient's language; the dedup key makes every enqueue idempotent."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_due", "state", "not_before"),
        Index("ix_outbox_messages_sent", "chat_id", "sent_message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(sa_type=String(200), unique=True)
    # Which messenger's relay sends it; chat_id is a chat on that channel.
    channel: str = Field(
        default=Channel.TELEGRAM,
        sa_type=String(20),
        sa_column_kwargs={"server_default": "telegram"},
    )
    chat_id: str = Field(sa_type=String(100))
    person_id: int | None = Field(default=None, foreign_key="people.id")
    is_group: bool = False
    template: str = Field(sa_type=String(60))
    params: str = Field(default="{}", sa_type=Text)  # JSON
    ref: str | None = Field(default=None, sa_type=String(60), index=True)
    document_name: str | None = Field(default=None, sa_type=String(120))
    document: bytes | None = Field(default=None, sa_type=LargeBinary)
    state: OutboxState = Field(default=OutboxState.PENDING, sa_type=StrEnumType(OutboxState))
    attempts: int = 0
    not_before: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_message_id: str | None = Field(default=None, sa_type=String(100))
    last_error: str = Field(default="", sa_type=Text)


class Visit(SQLModel, table=True):
    """走访: one contact with a paired household. Kept with the household across re-pairing."""

    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_household_time", "household_id", "visited_at"),
        Index("ix_visits_cadre_time", "cadre_id", "visited_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="households.id")
    cadre_id: int = Field(foreign_key="cadres.id")
    visited_at: datetime = Field(sa_type=UTCDateTime)
    mode: VisitMode = Field(sa_type=StrEnumType(VisitMode))
    # JSON: {"income": {"ok": true, "note": ""}, "food": ..., "water": ...}
    checks: str = Field(default="{}", sa_type=Text)
    notes: str = Field(default="", sa_type=Text)
    latitude: float | None = None
    longitude: float | None = None
    risk: bool = False
    risk_note: str = Field(default="", sa_type=Text)
    # The township's 已知悉: until then a risk flag is chased (services/visits/risk_follow_up.py).
    risk_acked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    risk_acked_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class VisitPhoto(SQLModel, table=True):
    """A photo taken on a visit: Telegram keeps the file, we keep its id, size and time."""

    __tablename__ = "visit_photos"

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visits.id", index=True)
    file_id: str = Field(sa_type=String(200))
    file_unique_id: str = Field(sa_type=String(100))
    file_size: int | None = None
    width: int | None = None
    height: int | None = None
    received_at: datetime = Field(sa_type=UTCDateTime)
