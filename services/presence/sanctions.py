"""What the pack's thresholds do once an unexplained absence (无故脱岗) is confirmed.

- ganzhou-2021 Art.21: found once → a city-wide notice (全市通报), recorded, and the county
  leading group told; twice or more → recall (召回): a recall proposal is opened for the
  county leading group to decide (Art.22 (四) 无正当理由不在岗且不改正).
- qinghai-2018 item 4: any unexplained absence → no award this year (取消当年评先评优资格),
  recorded; the county organisation department and the dispatching unit (whose leadership
  cannot be rated excellent that year) are told.

Each action is a ``Sanction`` row unique per cadre, kind and cause, so a threshold acts once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind, CheckState
from models.presence import Sanction, SpotCheckTarget
from services.messaging import outbox, templates
from services.policy import PolicyPack
from services.presence.sanction_log import NO_AWARD, NOTICE, RECALL_PROPOSAL, record
from services.roster.cadre_lookup import cadre_name
from services.roster.jurisdiction import holders, key_for, place_of_cadre
from services.supervision import recall


class NoticeParams(TypedDict):
    cadre: str
    day: str
    count: int


class NoAwardParams(NoticeParams):
    year: int


templates.declare("sanction.notice", NoticeParams)
templates.declare("sanction.no_award", NoAwardParams)


async def _tell(
    session: AsyncSession,
    cadre_id: int,
    kinds: tuple[ApproverKind, ...],
    sanction: Sanction,
    template: str,
    params: dict[str, object],
    now: datetime,
) -> None:
    place = await place_of_cadre(session, cadre_id)
    for kind in kinds:
        for person in await holders(session, kind, key_for(kind, place)):
            assert person.id is not None
            await outbox.to_person(
                session,
                person.id,
                key=f"sanction:{sanction.id}:{person.id}",
                template=template,
                params=params,
                now=now,
            )


async def on_confirmed(
    session: AsyncSession, pack: PolicyPack, target: SpotCheckTarget, now: datetime
) -> list[str]:
    """Apply the pack's thresholds after ``target`` was confirmed. Returns the kinds applied."""
    rules = pack.recall
    counts = await session.exec(
        select(col(SpotCheckTarget.day), func.count())
        .where(
            col(SpotCheckTarget.cadre_id) == target.cadre_id,
            col(SpotCheckTarget.state) == CheckState.CONFIRMED,
        )
        .group_by(col(SpotCheckTarget.day))
    )
    by_day = list(counts.all())
    total = sum(n for _, n in by_day)
    this_year = sum(n for day, n in by_day if day.year == target.day.year)
    cause = f"absence:{target.id}"
    name = await cadre_name(session, target.cadre_id)
    params: dict[str, object] = {"cadre": name, "day": target.day.isoformat(), "count": total}
    applied = []
    recall_at, notice_at = rules.recall_at_confirmed_absences, rules.notice_at_confirmed_absences
    if recall_at is not None and total >= recall_at:
        opened = await recall.open_by_threshold(session, pack, target.cadre_id, total, now)
        if opened is not None:
            note = f"recall #{opened.id}"
            if await record(
                session, target.cadre_id, RECALL_PROPOSAL, target.day.year, cause, note, now
            ):
                applied.append(RECALL_PROPOSAL)
    elif notice_at is not None and total >= notice_at:
        sanction = await record(
            session, target.cadre_id, NOTICE, target.day.year, cause, f"{total}", now
        )
        if sanction is not None:
            applied.append(NOTICE)
            await _tell(
                session,
                target.cadre_id,
                (rules.decided_by,),
                sanction,
                "sanction.notice",
                params,
                now,
            )
    no_award_at = rules.no_award_at_confirmed_absences
    if no_award_at is not None and this_year >= no_award_at:
        year = target.day.year
        sanction = await record(
            session, target.cadre_id, NO_AWARD, year, f"no_award:{year}", f"{this_year}", now
        )
        if sanction is not None:
            applied.append(NO_AWARD)
            await _tell(
                session,
                target.cadre_id,
                (ApproverKind.COUNTY_ORG_DEPT, ApproverKind.DISPATCHING_UNIT),
                sanction,
                "sanction.no_award",
                {**params, "year": year},
                now,
            )
    return applied
