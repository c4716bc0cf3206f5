"""December's warning that next year's official holidays are still unknown.

``chinesecalendar`` knows a year only once a release carries the State Council's notice
(国务院办公厅关于YYYY年部分节假日安排的通知, usually published in November). Until the year is
known or recorded (``zhucun calendar import``), 元旦 and 春节 count as working days in leave
and attendance. The county posts are told once a year, in December, from the office hour on
a working day; a year recorded before then is never mentioned.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict
from zoneinfo import ZoneInfo

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind
from models.tables import ApproverPost, County
from services.calendar import WorkCalendar
from services.messaging import outbox, templates
from services.periods import due_now
from services.policy import PolicyPack
from services.roster.jurisdiction import post_holders

#: The county-level posts: the office records the notice, the others should know it is due.
COUNTY_POSTS = (
    ApproverKind.COUNTY_LEADING_GROUP_OFFICE,
    ApproverKind.COUNTY_LEADING_GROUP,
    ApproverKind.COUNTY_ORG_DEPT,
)


class HolidaysUnknownParams(TypedDict):
    year: int


templates.declare("calendar.holidays_unknown", HolidaysUnknownParams)


async def holidays_unknown(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, now: datetime, zone: ZoneInfo
) -> int:
    """Sweep: in December, tell each county post holder once if next year is unknown."""
    local = now.astimezone(zone)
    year = local.year + 1
    if local.month != 12 or not due_now(pack, calendar, local) or calendar.holidays_known(year):
        return 0
    counties = [c for c in (await session.exec(select(County.id))).all() if c is not None]
    messages: list[outbox.Message] = []
    told: set[int] = set()  # a person holding two county posts hears it once
    for kind in COUNTY_POSTS:
        holders = await post_holders(session, kind, ApproverPost.county_id, counties)
        for people in holders.values():
            for account in people:
                if account.person_id in told:
                    continue
                told.add(account.person_id)
                key = f"holidays-unknown:{year}:{account.person_id}"
                params = {"year": year}
                if message := outbox.message_to(account, key, "calendar.holidays_unknown", params):
                    messages.append(message)
    return await outbox.enqueue_many(session, messages, now=now)
