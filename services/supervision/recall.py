"""召回 (ganzhou Art.22): proposed by the township, decided by the county leading group,
carried out by the dispatching unit with a replacement; the cadre is told.

proposed → approved → replaced, or proposed → rejected. Who proposes and who decides is the
pack's (``recall.proposed_by``, ``recall.decided_by``); the server re-checks the post on
every step, each step is a conditional update (exactly once) and an audit event
(``zhucun audit recall <id>``). A proposal can also be opened by the pack's threshold on
confirmed unexplained absences (ganzhou Art.21 两次以上无故脱岗的，予以“召回”).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypedDict

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind, RecallState
from models.presence import Recall
from models.tables import Person
from services import audit
from services.errors import DomainError
from services.messaging import outbox, templates
from services.policy import PolicyPack
from services.presence import sanction_log
from services.roster.cadre_lookup import Found, cadre_name, cadre_person_id, one_covered
from services.roster.jurisdiction import holders, holds, key_for, place_of_cadre

OPEN = (RecallState.PROPOSED, RecallState.APPROVED)
THRESHOLD_GROUND = "absent_not_correcting"  # Art.22 (四) 无正当理由不在岗且不改正


class CardParams(TypedDict):
    recall_id: int
    cadre: str
    ground: str
    ground_text: str
    note: str
    proposer: str


class DecidedParams(CardParams):
    """``recall.decided``, ``recall.replace`` and ``recall.cadre``."""

    approved: bool
    by: str


class ReplacedParams(CardParams):
    by: str


templates.declare("recall.card", CardParams)
templates.declare("recall.decided", DecidedParams)
templates.declare("recall.replace", DecidedParams)
templates.declare("recall.cadre", DecidedParams)
templates.declare("recall.replaced", ReplacedParams)


@dataclass(frozen=True)
class Step:
    recall: Recall
    done_now: bool  # False: someone took this step (or another) before
    by: str  # who took the step that stands


async def find_cadre(
    session: AsyncSession, pack: PolicyPack, person_id: int, name: str, on: date
) -> Found:
    """The cadre of that name the person may propose to recall."""
    try:
        return await one_covered(session, person_id, (pack.recall.proposed_by,), name, on)
    except DomainError as exc:
        if exc.code == "post_required":
            raise DomainError("recall_not_proposer") from None
        raise


async def _may(session: AsyncSession, person_id: int, kind: ApproverKind, cadre_id: int) -> bool:
    return await holds(
        session, person_id, kind, key_for(kind, await place_of_cadre(session, cadre_id))
    )


async def _people(session: AsyncSession, kind: ApproverKind, cadre_id: int) -> list[Person]:
    return await holders(session, kind, key_for(kind, await place_of_cadre(session, cadre_id)))


def card_params(pack: PolicyPack, recall: Recall, cadre: str, proposer: str) -> dict[str, Any]:
    return {
        "recall_id": recall.id,
        "cadre": cadre,
        "ground": recall.ground,
        "ground_text": pack.recall.grounds.get(recall.ground, recall.ground),
        "note": recall.note,
        "proposer": proposer,
    }


async def _open(
    session: AsyncSession,
    pack: PolicyPack,
    cadre_id: int,
    ground: str,
    note: str,
    person_id: int | None,
    now: datetime,
) -> Recall:
    recall = Recall(
        cadre_id=cadre_id,
        ground=ground,
        note=note,
        state=RecallState.PROPOSED,
        proposed_by_person_id=person_id,
        proposed_at=now,
    )
    session.add(recall)
    await session.flush()
    assert recall.id is not None
    await audit.record(
        session,
        entity="recall",
        entity_id=recall.id,
        action="propose",
        to_state=RecallState.PROPOSED.value,
        actor_person_id=person_id,
        at=now,
        note=f"{ground}: {note}",
    )
    proposer = await session.get(Person, person_id) if person_id else None
    params = card_params(
        pack, recall, await cadre_name(session, cadre_id), proposer.name if proposer else ""
    )
    for person in await _people(session, pack.recall.decided_by, cadre_id):
        assert person.id is not None
        await outbox.to_person(
            session,
            person.id,
            key=f"recall-card:{recall.id}:{person.id}",
            template="recall.card",
            params=params,
            now=now,
            ref=f"recall:{recall.id}",
        )
    return recall


async def _open_one(session: AsyncSession, cadre_id: int) -> Recall | None:
    return (
        await session.exec(
            select(Recall).where(col(Recall.cadre_id) == cadre_id, col(Recall.state).in_(OPEN))
        )
    ).first()


async def propose(
    session: AsyncSession,
    pack: PolicyPack,
    person_id: int,
    cadre_id: int,
    ground: str,
    note: str,
    now: datetime,
) -> Recall:
    note = note.strip()
    if ground not in pack.recall.grounds:
        raise DomainError("recall_ground_unknown", ground=ground)
    if not note:
        raise DomainError("recall_note_missing")
    if len(note) > pack.leave.max_reason_chars:
        raise DomainError(
            "recall_note_too_long", limit=pack.leave.max_reason_chars, length=len(note)
        )
    if not await _may(session, person_id, pack.recall.proposed_by, cadre_id):
        raise DomainError("recall_not_proposer")
    existing = await _open_one(session, cadre_id)
    if existing is not None:
        raise DomainError("recall_open", recall_id=existing.id)
    return await _open(session, pack, cadre_id, ground, note, person_id, now)


async def open_by_threshold(
    session: AsyncSession, pack: PolicyPack, cadre_id: int, confirmed: int, now: datetime
) -> Recall | None:
    """A proposal the pack's threshold opens (no proposer); None when one is open already."""
    if await _open_one(session, cadre_id) is not None:
        return None
    grounds = pack.recall.grounds
    ground = THRESHOLD_GROUND if THRESHOLD_GROUND in grounds else next(iter(grounds))
    note = f"抽查确认无故脱岗{confirmed}次"
    return await _open(session, pack, cadre_id, ground, note, None, now)


async def _step(
    session: AsyncSession,
    recall: Recall,
    before: RecallState,
    after: RecallState,
    person_id: int,
    now: datetime,
    note: str = "",
    **values: Any,
) -> Step:
    result = await session.exec(
        update(Recall)
        .where(col(Recall.id) == recall.id, col(Recall.state) == before)
        .values(state=after, **values)
    )
    await session.refresh(recall)
    if result.rowcount != 1:
        by = await session.get(Person, recall.decided_by_person_id or 0)
        return Step(recall, False, by.name if by else "")
    await audit.record(
        session,
        entity="recall",
        entity_id=recall.id,
        action={"approved": "approve", "rejected": "reject", "replaced": "replaced"}[after.value],
        from_state=before.value,
        to_state=after.value,
        actor_person_id=person_id,
        at=now,
        note=note,
    )
    me = await session.get(Person, person_id)
    return Step(recall, True, me.name if me else "")


async def _tell(
    session: AsyncSession,
    people: list[Person],
    key: str,
    template: str,
    params: dict[str, Any],
    now: datetime,
    ref: str | None = None,
) -> None:
    for person in people:
        assert person.id is not None
        await outbox.to_person(
            session,
            person.id,
            key=f"{key}:{person.id}",
            template=template,
            params=params,
            now=now,
            ref=ref,
        )


async def _proposers(session: AsyncSession, pack: PolicyPack, recall: Recall) -> list[Person]:
    if recall.proposed_by_person_id is not None:
        person = await session.get(Person, recall.proposed_by_person_id)
        return [person] if person else []
    return await _people(session, pack.recall.proposed_by, recall.cadre_id)


async def decide(
    session: AsyncSession,
    pack: PolicyPack,
    recall_id: int,
    person_id: int,
    *,
    approve: bool,
    note: str,
    now: datetime,
) -> Step:
    """The county leading group's decision (Art.22 经县驻村工作领导小组审定), once."""
    recall = await session.get(Recall, recall_id)
    if recall is None or not await _may(
        session, person_id, pack.recall.decided_by, recall.cadre_id
    ):
        raise DomainError("recall_not_decider", recall_id=recall_id)
    after = RecallState.APPROVED if approve else RecallState.REJECTED
    step = await _step(
        session, recall, RecallState.PROPOSED, after, person_id, now, note.strip(),
        decided_by_person_id=person_id, decided_at=now, decision_note=note.strip(),
    )  # fmt: skip
    if not step.done_now:
        return step
    cadre = await cadre_name(session, recall.cadre_id)
    params = {**card_params(pack, recall, cadre, ""), "approved": approve, "by": step.by}
    await _tell(session, await _proposers(session, pack, recall), f"recall-decided:{recall_id}",
                "recall.decided", params, now)  # fmt: skip
    if not approve:
        return step
    # Art.22 由派出单位…“召回”，并重新选派接替人员: the unit is asked for a replacement.
    units = await _people(session, ApproverKind.DISPATCHING_UNIT, recall.cadre_id)
    await _tell(session, units, f"recall-replace:{recall_id}", "recall.replace", params, now,
                ref=f"recall:{recall_id}")  # fmt: skip
    await outbox.to_person(
        session,
        await cadre_person_id(session, recall.cadre_id),
        key=f"recall-cadre:{recall_id}",
        template="recall.cadre",
        params=params,
        now=now,
    )
    years = pack.recall.no_promotion_years_after_recall
    if years is not None:  # qinghai-2018 item 6: 召回的，两年内不得提拔使用
        await sanction_log.record(
            session, recall.cadre_id, sanction_log.NO_PROMOTION, now.year, f"recall:{recall_id}",
            f"{years}", now,
        )  # fmt: skip
    return step


async def replaced(
    session: AsyncSession, pack: PolicyPack, recall_id: int, person_id: int, now: datetime
) -> Step:
    """The dispatching unit reports that a replacement has been sent."""
    recall = await session.get(Recall, recall_id)
    if recall is None or not await _may(
        session, person_id, ApproverKind.DISPATCHING_UNIT, recall.cadre_id
    ):
        raise DomainError("recall_not_unit", recall_id=recall_id)
    if recall.state is RecallState.PROPOSED:
        raise DomainError("recall_not_approved", recall_id=recall_id)
    step = await _step(session, recall, RecallState.APPROVED, RecallState.REPLACED, person_id, now)
    if step.done_now:
        cadre = await cadre_name(session, recall.cadre_id)
        params = {**card_params(pack, recall, cadre, ""), "by": step.by}
        deciders = await _people(session, pack.recall.decided_by, recall.cadre_id)
        await _tell(
            session, deciders, f"recall-replaced:{recall_id}", "recall.replaced", params, now
        )
    return step
