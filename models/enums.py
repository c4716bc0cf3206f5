"""Closed sets of values the domain speaks in. Stored as their string values."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """A messenger people reach the bot through. Stored in plain text columns (not
    ``StrEnumType``), so a release that adds one does not break readers of its rows."""

    TELEGRAM = "telegram"
    DINGTALK = "dingtalk"


class UnitLevel(StrEnum):
    """Level of a dispatching unit (派出单位层级)."""

    PROVINCE = "province"  # 省
    CITY = "city"  # 市
    COUNTY = "county"  # 县


class TeamRole(StrEnum):
    FIRST_SECRETARY = "first_secretary"  # 第一书记
    LEADER = "leader"  # 队长
    MEMBER = "member"  # 队员


class ApproverKind(StrEnum):
    """Approver posts, ordered from the village upwards (see ``APPROVER_ORDER``)."""

    VILLAGE_PARTY_ORG = "village_party_org"  # 村党组织
    TOWNSHIP_PARTY_COMMITTEE = "township_party_committee"  # 乡镇党委
    COUNTY_LEADING_GROUP_OFFICE = "county_leading_group_office"  # 县驻村工作领导小组办公室
    COUNTY_LEADING_GROUP = "county_leading_group"  # 县驻村工作领导小组
    COUNTY_ORG_DEPT = "county_org_dept"  # 县委组织部
    DISPATCHING_UNIT = "dispatching_unit"  # 派出单位


class Jurisdiction(StrEnum):
    """What kind of place or body an approver post covers."""

    VILLAGE = "village"
    TOWNSHIP = "township"
    COUNTY = "county"
    UNIT = "unit"


#: Which kind of jurisdiction each post covers.
POST_JURISDICTION: dict[ApproverKind, Jurisdiction] = {
    ApproverKind.VILLAGE_PARTY_ORG: Jurisdiction.VILLAGE,
    ApproverKind.TOWNSHIP_PARTY_COMMITTEE: Jurisdiction.TOWNSHIP,
    ApproverKind.COUNTY_LEADING_GROUP_OFFICE: Jurisdiction.COUNTY,
    ApproverKind.COUNTY_LEADING_GROUP: Jurisdiction.COUNTY,
    ApproverKind.COUNTY_ORG_DEPT: Jurisdiction.COUNTY,
    ApproverKind.DISPATCHING_UNIT: Jurisdiction.UNIT,
}


class HouseholdCategory(StrEnum):
    """Monitored households (三类监测对象, ganzhou Art.8) and households out of poverty."""

    UNSTABLE = "unstable"  # 脱贫不稳定户
    MARGINAL = "marginal"  # 边缘易致贫户
    SUDDEN_HARDSHIP = "sudden_hardship"  # 突发严重困难户
    OUT_OF_POVERTY = "out_of_poverty"  # 脱贫户


class VillageNeed(StrEnum):
    """Why a village gets a team (central-2017 二(一)), used to match cadres."""

    WEAK_PARTY_ORG = "weak_party_org"  # 党组织软弱涣散
    WEAK_INDUSTRY = "weak_industry"  # 产业薄弱
    MANY_DISPUTES = "many_disputes"  # 矛盾纠纷多


class GroupScope(StrEnum):
    VILLAGE = "village"
    TOWNSHIP = "township"
    COUNTY = "county"


class DayKind(StrEnum):
    """An administrator's override of the working-day calendar."""

    HOLIDAY = "holiday"
    WORKDAY = "workday"


class Role(StrEnum):
    """What a registered person may do, derived from the roster."""

    CADRE = "cadre"
    TEAM_LEADER = "team_leader"
    APPROVER = "approver"


class LeaveKind(StrEnum):
    PERSONAL = "personal"  # 事假
    SICK = "sick"  # 病假
    ANNUAL = "annual"  # 年假
    BUSINESS = "business"  # 公差
    MEETING = "meeting"  # 会议
    TRAINING = "training"  # 培训


class LeaveState(StrEnum):
    """The life of a leave request.

    pending → approved | rejected | withdrawn; approved → closed (returned, 销假) | withdrawn
    (before it starts); an emergency leave starts as to_complete (in effect at once, written
    request still owed, 补办) → approved | rejected.
    """

    PENDING = "pending"
    TO_COMPLETE = "to_complete"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


class VisitMode(StrEnum):
    IN_PERSON = "in_person"  # 入户
    PHONE = "phone"  # 电话
    ONLINE = "online"  # 线上


class OutboxState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"  # Telegram refused it for good (400/403); the reason is kept
    UNCERTAIN = "uncertain"  # timed out with no answer: may or may not have arrived


class DayClass(StrEnum):
    """How one day of one cadre is classed on the attendance sheet (考勤表)."""

    IN_VILLAGE = "in_village"
    OFFICIAL_BUSINESS = "official_business"  # approved business trip, meeting, training
    PERSONAL_LEAVE = "personal_leave"
    SICK_LEAVE = "sick_leave"
    ANNUAL_LEAVE = "annual_leave"
    ABSENT = "absent"  # unexplained absence (无故脱岗), confirmed
    REST = "rest"  # weekend or holiday with no evidence of presence


class CheckState(StrEnum):
    """One cadre's part of a spot check (抽查)."""

    ASKED = "asked"
    FINE = "fine"  # inside the radius, or away on approved leave
    SUSPECTED = "suspected"  # no answer in time, or outside the radius without leave
    CONFIRMED = "confirmed"  # the approver confirmed an unexplained absence
    CLEARED = "cleared"  # the approver accepted the explanation


class RecallState(StrEnum):
    PROPOSED = "proposed"  # by the township
    APPROVED = "approved"  # by the county leading group; the unit is told to replace
    REJECTED = "rejected"
    REPLACED = "replaced"  # the dispatching unit has sent a replacement


class SheetState(StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
