"""Every table of the database, in one place so alembic and a newcomer see the whole schema.

Naming: tables are plural snake_case; timestamps are timezone-aware UTC (``UTCDateTime``);
enums are stored as their string values (``StrEnumType``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.enum_type import StrEnumType
from models.enums import (
    ApproverKind,
    Channel,
    DayKind,
    GroupScope,
    HouseholdCategory,
    Jurisdiction,
    TeamRole,
    UnitLevel,
)
from models.types import UTCDateTime

# Named constraints, so alembic can drop and recreate them on SQLite (batch mode) too.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class DispatchingUnit(SQLModel, table=True):
    """派出单位: the organisation a cadre is sent from."""

    __tablename__ = "dispatching_units"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(100), unique=True)
    level: UnitLevel = Field(sa_type=StrEnumType(UnitLevel))


class County(SQLModel, table=True):
    __tablename__ = "counties"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(60), unique=True)


class Township(SQLModel, table=True):
    __tablename__ = "townships"
    __table_args__ = (UniqueConstraint("county_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="counties.id", index=True)
    name: str = Field(sa_type=String(60))


class Village(SQLModel, table=True):
    __tablename__ = "villages"
    __table_args__ = (UniqueConstraint("township_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    township_id: int = Field(foreign_key="townships.id", index=True)
    name: str = Field(sa_type=String(60))
    latitude: float | None = None
    longitude: float | None = None
    # Comma-separated VillageNeed values; a handful at most, never queried by value.
    needs: str = Field(default="", sa_type=String(100))


class Team(SQLModel, table=True):
    """驻村工作队: one per village (一村一队, central-2017)."""

    __tablename__ = "teams"

    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="villages.id", unique=True)


class Person(SQLModel, table=True):
    """Anyone on the roster: a cadre, an approver, or both. The phone is the natural key."""

    __tablename__ = "people"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(40))
    phone: str = Field(sa_type=String(20), unique=True)
    # None until known: set from the Telegram client at registration, then by /lang.
    language: str | None = Field(default=None, sa_type=String(8))
    registered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Hash of the command menu last set for this person's chat, so start-up only
    # re-sends menus that changed.
    menu_hash: str | None = Field(default=None, sa_type=String(16))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ChannelAccount(SQLModel, table=True):
    """A person's account on one messenger (Telegram, DingTalk): who they are there and
    where the bot writes to them. One per person and channel; registering binds it."""

    __tablename__ = "channel_accounts"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        UniqueConstraint("person_id", "channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    # Plain text, not an enum column: rows of a channel a newer release added must not
    # break an older reader.
    channel: str = Field(sa_type=String(20))
    # The channel's own user id, as text: Telegram's are integers, DingTalk's are not.
    external_id: str = Field(sa_type=String(100))
    # The private chat the outbox writes to them in, as text (on Telegram the user id
    # itself; on DingTalk the staff id, which is also where one-to-one messages go).
    chat_id: str = Field(sa_type=String(100))
    # Set when the channel refused delivery for good (they blocked the bot): nothing is
    # queued for them there until they come back.
    blocked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Cadre(SQLModel, table=True):
    """A person's posting as a village-resident cadre."""

    __tablename__ = "cadres"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", unique=True)
    team_id: int = Field(foreign_key="teams.id", index=True)
    team_role: TeamRole = Field(sa_type=StrEnumType(TeamRole))
    is_leader: bool = False
    unit_id: int = Field(foreign_key="dispatching_units.id", index=True)
    dispatch_level: UnitLevel = Field(sa_type=StrEnumType(UnitLevel))
    term_start: date
    term_end: date
    party_member_since: date | None = None
    birth_date: date | None = None


class ApproverPost(SQLModel, table=True):
    """A person holding an approving post over a village, township, county or unit.

    ``jurisdiction_key`` ("township:3") makes the post unique without NULL-laden
    composite keys; the id columns beside it are for joins.
    """

    __tablename__ = "approver_posts"
    __table_args__ = (UniqueConstraint("kind", "jurisdiction_key", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: ApproverKind = Field(sa_type=StrEnumType(ApproverKind))
    person_id: int = Field(foreign_key="people.id", index=True)
    jurisdiction: Jurisdiction = Field(sa_type=StrEnumType(Jurisdiction))
    jurisdiction_key: str = Field(sa_type=String(40), index=True)
    county_id: int | None = Field(default=None, foreign_key="counties.id")
    township_id: int | None = Field(default=None, foreign_key="townships.id")
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    unit_id: int | None = Field(default=None, foreign_key="dispatching_units.id")


class Household(SQLModel, table=True):
    """A paired household. Deliberately minimal: no ID-card number, no address past the village."""

    __tablename__ = "households"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(40), unique=True)
    head_name: str = Field(sa_type=String(40))
    # The head's name in pinyin, every reading of a polyphonic surname, for name search;
    # computed once when the household is written.
    name_pinyin: str = Field(default="", sa_type=String(255))
    village_id: int = Field(foreign_key="villages.id", index=True)
    category: HouseholdCategory = Field(sa_type=StrEnumType(HouseholdCategory))
    size: int | None = None


class Pairing(SQLModel, table=True):
    """结对: a cadre paired with a household. Ended, never deleted, so history stays."""

    __tablename__ = "pairings"
    __table_args__ = (Index("ix_pairings_household_active", "household_id", "ended_at"),)

    id: int | None = Field(default=None, primary_key=True)
    cadre_id: int = Field(foreign_key="cadres.id", index=True)
    household_id: int = Field(foreign_key="households.id")
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class GroupChat(SQLModel, table=True):
    """A group chat on one messenger, bound to a team (village), township or county."""

    __tablename__ = "group_chats"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(
        default=Channel.TELEGRAM,
        sa_type=String(20),
        sa_column_kwargs={"server_default": "telegram"},
    )
    # The channel's id for the chat, as text (DingTalk's openConversationId is a string).
    chat_id: str = Field(sa_type=String(100))
    title: str = Field(default="", sa_type=String(255))
    scope: GroupScope = Field(sa_type=StrEnumType(GroupScope))
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    township_id: int | None = Field(default=None, foreign_key="townships.id")
    county_id: int | None = Field(default=None, foreign_key="counties.id")
    bound_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    bound_at: datetime = Field(sa_type=UTCDateTime)


class Invite(SQLModel, table=True):
    """A one-time registration link. Only the token's SHA-256 is kept."""

    __tablename__ = "invites"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    token_hash: str = Field(sa_type=String(64), unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class InboxEntry(SQLModel, table=True):
    """Deliveries already handled (Telegram's update ids, DingTalk's message ids); written
    in the same transaction as their effects."""

    __tablename__ = "inbox_entries"

    channel: str = Field(sa_type=String(20), primary_key=True)
    delivery_id: str = Field(sa_type=String(100), primary_key=True)
    received_at: datetime = Field(sa_type=UTCDateTime)


class ConversationState(SQLModel, table=True):
    """Where a person is in a guided flow (aiogram FSM), shared by every bot replica and
    kept across restarts; ``data`` is the flow's JSON draft."""

    __tablename__ = "conversation_states"

    key: str = Field(sa_type=String(200), primary_key=True)
    state: str | None = Field(default=None, sa_type=String(100))
    data: str = Field(default="{}", sa_type=Text)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class CalendarOverride(SQLModel, table=True):
    """An administrator's word on one day: a holiday or a make-up working day (调休)."""

    __tablename__ = "calendar_overrides"

    day: date = Field(primary_key=True)
    kind: DayKind = Field(sa_type=StrEnumType(DayKind))
    note: str = Field(default="", sa_type=String(100))
    set_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


__all__ = [
    "ApproverPost",
    "Cadre",
    "CalendarOverride",
    "ChannelAccount",
    "ConversationState",
    "County",
    "DispatchingUnit",
    "GroupChat",
    "Household",
    "InboxEntry",
    "Invite",
    "Pairing",
    "Person",
    "Team",
    "Township",
    "Village",
    "utcnow",
]
