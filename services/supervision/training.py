"""Training (培训): what a cadre attended, by level 省/市/县; the reminders are in
``services.supervision.training_sweeps``.

- Each year: at least one training (guangdong-2016: at least one, of at least 3 days; the
  pack's ``training.min_sessions_per_year`` / ``min_days_per_year``, ``year_done``).
- Each term: at least ``county_training_per_term`` trainings "县级以上" (ganzhou Art.28). 以上
  includes the level named, and every level a training is recorded at (county, city,
  province) is county or above, so every training within the term counts.
- A cadre records their own; an approver records one for several cadres their posts cover,
  all or nothing, and each cadre is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind, UnitLevel
from models.presence import Training
from models.tables import Cadre, Person
from services import audit
from services.errors import DomainError
from services.messaging import outbox, templates
from services.policy import PolicyPack
from services.roster.cadre_lookup import covered

#: Art.28 "县级以上": county and every level above it.
TERM_LEVELS = (UnitLevel.COUNTY, UnitLevel.CITY, UnitLevel.PROVINCE)
MAX_DAYS = 60
MAX_TOPIC_CHARS = 200
#: A pre-dispatch training (任前培训) may come before the term; not longer before than this.
BEFORE_TERM = timedelta(days=366)
OFFICE = ApproverKind.COUNTY_LEADING_GROUP_OFFICE


class RecordedParams(TypedDict):
    day: str
    level: str
    days: int
    topic: str


templates.declare("training.recorded", RecordedParams)


@dataclass(frozen=True)
class Recorded:
    """What a recording did: the new rows (with the cadre's name), and names skipped because
    the same training (cadre, day, level) was already on record."""

    trainings: list[tuple[str, Training]]
    skipped: list[str]


async def record(
    session: AsyncSession,
    pack: PolicyPack,
    cadre_ids: list[int],
    *,
    day: date,
    level: UnitLevel,
    days: int,
    topic: str,
    by_person_id: int,
    now: datetime,
    zone: ZoneInfo,
) -> Recorded:
    """Record one training for each cadre. The caller has checked that ``by_person_id`` may
    (the cadre themself, or a post covering them: ``record_for_names``). A cadre recorded for
    by someone else is told."""
    topic = " ".join(topic.split())
    if not 1 <= days <= MAX_DAYS:
        raise DomainError("training_days_invalid", days=days, max=MAX_DAYS)
    if len(topic) > MAX_TOPIC_CHARS:
        raise DomainError("training_topic_too_long", max=MAX_TOPIC_CHARS, length=len(topic))
    if day > now.astimezone(zone).date():
        raise DomainError("training_in_future", day=day.isoformat())
    rows = await session.exec(
        select(Cadre, Person)
        .join(Person, col(Person.id) == col(Cadre.person_id))
        .where(col(Cadre.id).in_(cadre_ids))
        .order_by(col(Cadre.id))
    )
    cadres = list(rows.all())
    if len(cadres) != len(set(cadre_ids)):
        raise DomainError("cadre_unknown")
    for cadre, person in cadres:
        if day < cadre.term_start - BEFORE_TERM:
            raise DomainError("training_before_term", name=person.name, day=day.isoformat())
    existing = set(
        (
            await session.exec(
                select(Training.cadre_id).where(
                    col(Training.cadre_id).in_(cadre_ids),
                    col(Training.day) == day,
                    col(Training.level) == level,
                )
            )
        ).all()
    )
    done = Recorded([], [])
    for cadre, person in cadres:
        assert cadre.id is not None
        if cadre.id in existing:
            done.skipped.append(person.name)
            continue
        row = Training(cadre_id=cadre.id, day=day, level=level, days=days, topic=topic,
                       recorded_by_person_id=by_person_id, at=now)  # fmt: skip
        session.add(row)
        await session.flush()
        await audit.record(
            session, entity="training", entity_id=row.id, action="record",
            to_state=f"{level.value}:{day.isoformat()}", actor_person_id=by_person_id, at=now,
        )  # fmt: skip
        if person.id != by_person_id:
            await outbox.to_person(
                session, cadre.person_id, key=f"training-recorded:{row.id}",
                template="training.recorded",
                params={"day": day.isoformat(), "level": level.value, "days": days,
                        "topic": topic},
                now=now, ref=f"training:{row.id}",
            )  # fmt: skip
        done.trainings.append((person.name, row))
    return done


@dataclass(frozen=True)
class Course:
    """A training as typed: its first day, level, length in days and topic."""

    day: date
    level: UnitLevel
    days: int
    topic: str = ""


async def record_own(
    session: AsyncSession,
    pack: PolicyPack,
    cadre_id: int,
    person_id: int,
    course: Course,
    now: datetime,
    zone: ZoneInfo,
) -> Training:
    """A cadre's own /training."""
    done = await record(
        session, pack, [cadre_id], **vars(course), by_person_id=person_id, now=now, zone=zone
    )
    if not done.trainings:
        raise DomainError("training_duplicate", day=course.day.isoformat())
    return done.trainings[0][1]


async def record_for_names(
    session: AsyncSession,
    pack: PolicyPack,
    person_id: int,
    names: list[str],
    course: Course,
    now: datetime,
    zone: ZoneInfo,
) -> Recorded:
    """An approver records one training for cadres named among those their posts cover.
    All or nothing: a name not found, or found in two villages, records nobody."""
    today = now.astimezone(zone).date()
    ids: list[int] = []
    missing: list[str] = []
    ambiguous: list[str] = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        found = await covered(session, person_id, tuple(ApproverKind), name, today)
        if len(found) == 1:
            ids.append(found[0].cadre_id)
        elif found:
            ambiguous.append(f"{name}({'、'.join(f.village for f in found)})")
        else:
            missing.append(name)
    if missing:
        raise DomainError("training_names_not_found", names="、".join(missing))
    if ambiguous:
        raise DomainError("training_names_ambiguous", names="、".join(ambiguous))
    if not ids:
        raise DomainError("training_names_missing")
    return await record(
        session, pack, ids, **vars(course), by_person_id=person_id, now=now, zone=zone
    )


def year_done(pack: PolicyPack, sessions: int, days: int) -> bool:
    need_days = pack.training.min_days_per_year
    return sessions >= (pack.training.min_sessions_per_year or 1) and (
        need_days is None or days >= need_days
    )


@dataclass(frozen=True)
class MyTrainings:
    trainings: list[Training]  # newest first
    year: int
    year_sessions: int
    year_days: int
    year_ok: bool
    term_counted: int  # trainings within the term (all are 县级以上)
    term_required: int | None  # None: the pack sets no per-term minimum
    term_end: date


async def my_trainings(
    session: AsyncSession, pack: PolicyPack, cadre_id: int, today: date
) -> MyTrainings:
    cadre = await session.get(Cadre, cadre_id)
    if cadre is None:
        raise DomainError("cadre_unknown", cadre_id=cadre_id)
    rows = list(
        (
            await session.exec(
                select(Training)
                .where(col(Training.cadre_id) == cadre_id)
                .order_by(col(Training.day).desc(), col(Training.id).desc())
            )
        ).all()
    )
    this_year = [r for r in rows if r.day.year == today.year]
    sessions, days = len(this_year), sum(r.days for r in this_year)
    in_term = [r for r in rows if cadre.term_start <= r.day <= cadre.term_end]
    return MyTrainings(
        trainings=[r for r in rows if r.day >= cadre.term_start - BEFORE_TERM],
        year=today.year, year_sessions=sessions, year_days=days,
        year_ok=year_done(pack, sessions, days),
        term_counted=sum(r.level in TERM_LEVELS for r in in_term),
        term_required=pack.training.county_training_per_term, term_end=cadre.term_end,
    )  # fmt: skip
