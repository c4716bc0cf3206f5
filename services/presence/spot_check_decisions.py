"""The approver's side of a spot check, and the cadre's explanation: a suspected absence
(疑似无故脱岗) is explained by the cadre, then confirmed or cleared by the approver who asked
or by anyone holding a checking post over the cadre, exactly once. Only a confirmed absence
counts: on the sheet, and toward the pack's thresholds (``services.presence.sanctions``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import CheckState
from models.presence import SpotCheck, SpotCheckTarget
from models.tables import Person
from services import audit
from services.errors import DomainError
from services.messaging import outbox, templates
from services.policy import PolicyPack
from services.presence import sanctions
from services.presence.spot_checks import CHECKERS
from services.roster.cadre_lookup import cadre_name, cadre_person_id
from services.roster.jurisdiction import holds, key_for, place_of_cadre


class ExplainedParams(TypedDict):
    target_id: int
    cadre: str
    day: str
    text: str


class DecidedParams(TypedDict):
    target_id: int
    confirmed: bool
    day: str


templates.declare("spotcheck.explained", ExplainedParams)
templates.declare("spotcheck.decided", DecidedParams)


@dataclass(frozen=True)
class Decided:
    target: SpotCheckTarget
    decided_now: bool  # False: decided before, by ``decided_by``
    decided_by: str
    sanctions: tuple[str, ...] = ()


async def explain(
    session: AsyncSession,
    pack: PolicyPack,
    cadre_id: int,
    text: str,
    now: datetime,
    target_id: int | None = None,
) -> SpotCheckTarget:
    """The cadre's explanation of a suspected absence (their latest, unless one is named);
    the approver who asked gets it with the confirm and clear buttons."""
    text = text.strip()
    if not text:
        raise DomainError("explanation_missing")
    if len(text) > pack.leave.max_reason_chars:
        raise DomainError(
            "explanation_too_long", limit=pack.leave.max_reason_chars, length=len(text)
        )
    statement = select(SpotCheckTarget).where(
        col(SpotCheckTarget.cadre_id) == cadre_id,
        col(SpotCheckTarget.state) == CheckState.SUSPECTED,
    )
    if target_id is not None:
        statement = statement.where(col(SpotCheckTarget.id) == target_id)
    target = (await session.exec(statement.order_by(col(SpotCheckTarget.id).desc()))).first()
    if target is None:
        raise DomainError("nothing_to_explain")
    target.explanation = text
    session.add(target)
    check = await session.get(SpotCheck, target.spot_check_id)
    assert check is not None and target.id is not None
    person_id = await cadre_person_id(session, cadre_id)
    await audit.record(
        session,
        entity="spot_check",
        entity_id=check.id,
        action="explain",
        actor_person_id=person_id,
        at=now,
        note=text,
    )
    await outbox.to_person(
        session,
        check.requested_by_person_id,
        key=f"spotcheck-explained:{target.id}:{now.isoformat()}",
        template="spotcheck.explained",
        params={
            "target_id": target.id,
            "cadre": await cadre_name(session, cadre_id),
            "day": target.day.isoformat(),
            "text": text,
        },
        now=now,
        ref=f"spotcheck:{target.id}",
    )
    return target


async def may_decide(session: AsyncSession, target: SpotCheckTarget, person_id: int) -> bool:
    """The approver who asked, or anyone holding a checking post over the cadre's place."""
    check = await session.get(SpotCheck, target.spot_check_id)
    if check is not None and check.requested_by_person_id == person_id:
        return True
    place = await place_of_cadre(session, target.cadre_id)
    for kind in CHECKERS:
        if await holds(session, person_id, kind, key_for(kind, place)):
            return True
    return False


async def decide(
    session: AsyncSession,
    pack: PolicyPack,
    target_id: int,
    person_id: int,
    *,
    confirm: bool,
    now: datetime,
) -> Decided:
    """Confirm (an unexplained absence, 无故脱岗) or clear a suspected one, exactly once."""
    target = await session.get(SpotCheckTarget, target_id)
    if target is None or not await may_decide(session, target, person_id):
        raise DomainError("not_your_check", target_id=target_id)
    after = CheckState.CONFIRMED if confirm else CheckState.CLEARED
    result = await session.exec(
        update(SpotCheckTarget)
        .where(
            col(SpotCheckTarget.id) == target_id,
            col(SpotCheckTarget.state) == CheckState.SUSPECTED,
        )
        .values(state=after, decided_by_person_id=person_id, decided_at=now)
    )
    await session.refresh(target)
    if result.rowcount != 1:
        if target.state not in (CheckState.CONFIRMED, CheckState.CLEARED):
            raise DomainError("check_not_suspected", state=target.state.value)
        by = await session.get(Person, target.decided_by_person_id or 0)
        return Decided(target, False, by.name if by else "")
    await audit.record(
        session,
        entity="spot_check",
        entity_id=target.spot_check_id,
        action="confirm" if confirm else "clear",
        from_state=CheckState.SUSPECTED.value,
        to_state=after.value,
        actor_person_id=person_id,
        at=now,
        note=await cadre_name(session, target.cadre_id),
    )
    await outbox.to_person(
        session,
        await cadre_person_id(session, target.cadre_id),
        key=f"spotcheck-decided:{target_id}",
        template="spotcheck.decided",
        params={"target_id": target_id, "confirmed": confirm, "day": target.day.isoformat()},
        now=now,
    )
    applied: tuple[str, ...] = ()
    if confirm:
        applied = tuple(await sanctions.on_confirmed(session, pack, target, now))
    me = await session.get(Person, person_id)
    return Decided(target, True, me.name if me else "", applied)
