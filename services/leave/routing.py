"""Who decides a leave under a policy pack: the tier its length falls in, the next post
up when a post does not answer, and how many days a leave counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models.enums import ApproverKind
from services.calendar import WorkCalendar
from services.errors import DomainError
from services.policy import PolicyPack


@dataclass(frozen=True)
class LeaveRoute:
    """Who decides a leave of ``days`` days, and what comes with it."""

    approver: ApproverKind
    replacement_required: bool
    tier: int  # index into ``pack.leave.tiers``
    min_days: int
    max_days: int | None  # None: open-ended
    kind: str | None
    official_business: bool  # the kind counts as duty (出差、开会、培训), not absence
    source: str


def route_leave(pack: PolicyPack, days: int, kind: str | None = None) -> LeaveRoute:
    if days < 1:
        raise DomainError("leave_days_invalid", days=days)
    if kind is not None and kind not in pack.leave.kinds:
        raise DomainError("leave_kind_unknown", kind=kind, known=", ".join(pack.leave.kinds))
    for index, tier in enumerate(pack.leave.tiers):
        if tier.covers(days):
            return LeaveRoute(
                approver=tier.approver,
                replacement_required=tier.replacement_required,
                tier=index,
                min_days=tier.min_days,
                max_days=tier.max_days,
                kind=kind,
                official_business=kind in pack.leave.official_business_kinds,
                source=tier.source,
            )
    # Unreachable for a validated pack: the tiers start at 1 and the last is open-ended.
    raise DomainError("policy_no_tier", policy=pack.id, days=days)


def next_approver(pack: PolicyPack, approver: ApproverKind) -> ApproverKind | None:
    """The post a request moves to when ``approver`` does not answer in time.

    None at the top of the chain, or for a post that is not on it.
    """
    chain = pack.leave.escalation
    if approver not in chain:
        return None
    position = chain.index(approver)
    return chain[position + 1] if position + 1 < len(chain) else None


def count_leave_days(pack: PolicyPack, start: date, end: date, calendar: WorkCalendar) -> int:
    """Days a leave from ``start`` to ``end`` (both included) counts, as the pack says."""
    if end < start:
        raise DomainError("leave_end_before_start", start=start.isoformat(), end=end.isoformat())
    if pack.leave.day_count == "working":
        return calendar.working_days(start, end)
    return (end - start).days + 1
