"""Words for the domain's enum values, translated where shown."""

from __future__ import annotations

from typing import Any

from locales import N_, Translator
from models.enums import (
    ApproverKind,
    Channel,
    HouseholdCategory,
    LeaveKind,
    LeaveState,
    Role,
    TeamRole,
    UnitLevel,
)

# A messenger's name, for text that is shown on any channel ("your DingTalk account").
CHANNELS: dict[str, str] = {
    Channel.TELEGRAM: N_("Telegram"),
    Channel.DINGTALK: N_("DingTalk"),
}

TEAM_ROLES = {
    TeamRole.FIRST_SECRETARY: N_("first secretary"),
    TeamRole.LEADER: N_("team leader"),
    TeamRole.MEMBER: N_("team member"),
}

APPROVER_POSTS = {
    ApproverKind.VILLAGE_PARTY_ORG: N_("village party organisation"),
    ApproverKind.TOWNSHIP_PARTY_COMMITTEE: N_("township party committee"),
    ApproverKind.COUNTY_LEADING_GROUP_OFFICE: N_("county leading group office"),
    ApproverKind.COUNTY_LEADING_GROUP: N_("county leading group"),
    ApproverKind.COUNTY_ORG_DEPT: N_("county organisation department"),
    ApproverKind.DISPATCHING_UNIT: N_("dispatching unit"),
}

UNIT_LEVELS = {
    UnitLevel.PROVINCE: N_("province"),
    UnitLevel.CITY: N_("city"),
    UnitLevel.COUNTY: N_("county"),
}

HOUSEHOLD_CATEGORIES = {
    HouseholdCategory.UNSTABLE: N_("unstable out of poverty"),
    HouseholdCategory.MARGINAL: N_("marginal, at risk"),
    HouseholdCategory.SUDDEN_HARDSHIP: N_("sudden severe hardship"),
    HouseholdCategory.OUT_OF_POVERTY: N_("out of poverty"),
}

ROLES = {
    Role.CADRE: N_("village-resident cadre"),
    Role.TEAM_LEADER: N_("team leader"),
    Role.APPROVER: N_("approver"),
}


def label(t: Translator, table: dict[Any, str], value: Any) -> str:
    return t(table[value])


def channel_name(t: Translator, channel: str) -> str:
    """The messenger's name in the reader's language (an unknown one as it is stored)."""
    return t(CHANNELS[channel]) if channel in CHANNELS else channel


LEAVE_KINDS = {
    LeaveKind.PERSONAL: N_("personal leave"),
    LeaveKind.SICK: N_("sick leave"),
    LeaveKind.ANNUAL: N_("annual leave"),
    LeaveKind.BUSINESS: N_("business trip"),
    LeaveKind.MEETING: N_("meeting"),
    LeaveKind.TRAINING: N_("training"),
}

LEAVE_STATES = {
    LeaveState.PENDING: N_("waiting for approval"),
    LeaveState.TO_COMPLETE: N_("in effect, written request owed"),
    LeaveState.APPROVED: N_("approved"),
    LeaveState.REJECTED: N_("rejected"),
    LeaveState.WITHDRAWN: N_("withdrawn"),
    LeaveState.CLOSED: N_("returned"),
}
