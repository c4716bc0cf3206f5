"""走访: logging a visit to a paired household, and a cadre's list of households.

A visit records how the household stands on "一收入两不愁三保障" as seven checks (``CHECKS``),
each fine or a problem with a note; free notes; photos (Telegram file ids); an optional
location (never required); and an optional risk flag (返贫风险). A risk flag enqueues, in the
same transaction, a private message to every holder of the township party committee post
over the household's township, and to nobody else.

Who may log a visit: the cadre paired with the household, or a cadre of the team resident in
the household's village (covering for a colleague). Only the paired cadre's visits count
towards the pairing's quarter (services/visits/coverage.py).

One-line visits (``/visit 张伟明 电话 孩子辍学``) are read by services/visits/one_line.py.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind, HouseholdCategory, VisitMode
from models.tables import ApproverPost, Cadre, Household, Pairing, Person, Team, Township, Village
from models.workflow import Visit, VisitPhoto
from services.errors import DomainError
from services.messaging import outbox
from services.policy import PolicyPack
from services.visits.coverage import DEFAULT_ZONE, Quarter, counted_modes
from services.visits.household_search import MatchKind, SearchResult, search
from services.visits.one_line import parse_one_line, problems_from_notes, risk_from_notes

# 一收入两不愁三保障: income; food and clothing; schooling, medical care, housing, drinking water.
CHECKS: tuple[str, ...] = ("income", "food", "clothing", "schooling", "medical", "housing", "water")
MAX_NOTES_CHARS = 1000
MAX_CHECK_NOTE_CHARS = 200
MAX_PHOTOS = 10
# A visit may be recorded a little after the fact, never ahead of it.
FUTURE_TOLERANCE = timedelta(minutes=5)
RISK_TEMPLATE = "visit.risk"


@dataclass(frozen=True)
class Check:
    ok: bool = True
    note: str = ""


@dataclass(frozen=True)
class PhotoIn:
    file_id: str
    file_unique_id: str
    received_at: datetime
    file_size: int | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class VisitTarget:
    """A household a cadre may log a visit to, with where it is."""

    household_id: int
    code: str
    head_name: str
    category: HouseholdCategory
    village_id: int
    village: str
    township_id: int
    township: str
    paired: bool  # the cadre's own active pairing


@dataclass(frozen=True)
class VisitSaved:
    visit_id: int
    target: VisitTarget
    mode: VisitMode
    visited_at: datetime
    problems: tuple[str, ...]  # check keys marked as problems
    photos: int
    has_location: bool
    risk: bool
    counted: bool  # counts for the quarter (the pack's mode, the paired cadre)
    approvers_told: int  # township approvers a risk flag was queued for


# --- who may visit what --------------------------------------------------------------------


async def visit_target(session: AsyncSession, cadre_id: int, household_id: int) -> VisitTarget:
    """The household, if ``cadre_id`` may log a visit to it; DomainError otherwise."""
    household = await session.get(Household, household_id)
    cadre = await session.get(Cadre, cadre_id)
    if household is None or household.id is None:
        raise DomainError("visit_household_unknown", household_id=household_id)
    if cadre is None:
        raise DomainError("visit_not_cadre", cadre_id=cadre_id)
    paired = (
        await session.exec(
            select(Pairing.id).where(
                Pairing.cadre_id == cadre_id,
                Pairing.household_id == household_id,
                col(Pairing.ended_at).is_(None),
            )
        )
    ).first() is not None
    team = await session.get(Team, cadre.team_id)
    if not paired and (team is None or team.village_id != household.village_id):
        raise DomainError("visit_not_allowed", household_id=household_id)
    village = await session.get(Village, household.village_id)
    assert village is not None and village.id is not None
    township = await session.get(Township, village.township_id)
    assert township is not None and township.id is not None
    return VisitTarget(
        household_id=household.id,
        code=household.code,
        head_name=household.head_name,
        category=household.category,
        village_id=village.id,
        village=village.name,
        township_id=township.id,
        township=township.name,
        paired=paired,
    )


async def cadre_village(session: AsyncSession, cadre_id: int) -> int:
    cadre = await session.get(Cadre, cadre_id)
    team = await session.get(Team, cadre.team_id) if cadre else None
    if team is None:
        raise DomainError("visit_not_cadre", cadre_id=cadre_id)
    return team.village_id


async def find_household(session: AsyncSession, cadre_id: int, query: str) -> SearchResult:
    """Households answering a typed name or code, the cadre's own pairings first."""
    return await search(
        session, query, cadre_id=cadre_id, village_id=await cadre_village(session, cadre_id)
    )


@dataclass(frozen=True)
class Resolved:
    """A typed name settled on one household (``target``), or the choices to offer."""

    target: VisitTarget | None
    result: SearchResult


async def resolve_household(session: AsyncSession, cadre_id: int, text: str) -> Resolved:
    """The household a typed name or code means, when the search is confident."""
    result = await find_household(session, cadre_id, text)
    best = result.best
    if best is None:
        return Resolved(None, result)
    return Resolved(await visit_target(session, cadre_id, best.household_id), result)


# --- logging -------------------------------------------------------------------------------


def _clean_checks(checks: Mapping[str, Check] | None) -> dict[str, Check]:
    given = dict(checks or {})
    unknown = sorted(set(given) - set(CHECKS))
    if unknown:
        raise DomainError("visit_check_unknown", check=", ".join(unknown))
    out: dict[str, Check] = {}
    for key in CHECKS:
        check = given.get(key, Check())
        note = check.note.strip()
        if len(note) > MAX_CHECK_NOTE_CHARS:
            raise DomainError("visit_note_too_long", limit=MAX_CHECK_NOTE_CHARS, check=key)
        out[key] = Check(ok=check.ok, note=note)
    return out


def _check_location(location: tuple[float, float] | None) -> None:
    if location is None:
        return
    latitude, longitude = location
    if not (
        math.isfinite(latitude)
        and math.isfinite(longitude)
        and -90 <= latitude <= 90
        and -180 <= longitude <= 180
    ):
        raise DomainError("visit_location_invalid")


async def log_visit(
    session: AsyncSession,
    *,
    cadre_id: int,
    household_id: int,
    mode: VisitMode | str,
    pack: PolicyPack,
    now: datetime,
    checks: Mapping[str, Check] | None = None,
    notes: str = "",
    photos: Sequence[PhotoIn] = (),
    location: tuple[float, float] | None = None,
    risk: bool = False,
    risk_note: str = "",
    visited_at: datetime | None = None,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> VisitSaved:
    """Record a visit (flushed, not committed). A risk flag queues the township's notice."""
    try:
        mode = VisitMode(mode)
    except ValueError:
        raise DomainError("visit_mode_invalid", mode=str(mode)) from None
    at = visited_at or now
    if at.tzinfo is None:
        raise DomainError("visit_time_invalid")
    if at > now + FUTURE_TOLERANCE:
        raise DomainError("visit_in_future")
    clean = _clean_checks(checks)
    notes, risk_note = notes.strip(), risk_note.strip()
    if len(notes) > MAX_NOTES_CHARS or len(risk_note) > MAX_NOTES_CHARS:
        raise DomainError("visit_note_too_long", limit=MAX_NOTES_CHARS, check="")
    if len(photos) > MAX_PHOTOS:
        raise DomainError("visit_too_many_photos", limit=MAX_PHOTOS)
    _check_location(location)
    target = await visit_target(session, cadre_id, household_id)

    visit = Visit(
        household_id=household_id,
        cadre_id=cadre_id,
        visited_at=at,
        mode=mode,
        checks=json.dumps(
            {k: {"ok": c.ok, "note": c.note} for k, c in clean.items()}, ensure_ascii=False
        ),
        notes=notes,
        latitude=location[0] if location else None,
        longitude=location[1] if location else None,
        risk=risk,
        risk_note=risk_note if risk else "",
        created_at=now,
    )
    session.add(visit)
    await session.flush()
    assert visit.id is not None
    for photo in photos:
        session.add(
            VisitPhoto(
                visit_id=visit.id,
                file_id=photo.file_id,
                file_unique_id=photo.file_unique_id,
                file_size=photo.file_size,
                width=photo.width,
                height=photo.height,
                received_at=photo.received_at,
            )
        )
    told = 0
    if risk:
        told = await _flag_risk(session, visit, target, clean, now=now, zone=zone)
    await session.flush()
    return VisitSaved(
        visit_id=visit.id,
        target=target,
        mode=mode,
        visited_at=at,
        problems=tuple(k for k, c in clean.items() if not c.ok),
        photos=len(photos),
        has_location=location is not None,
        risk=risk,
        counted=target.paired and mode in counted_modes(pack),
        approvers_told=told,
    )


async def township_approvers(session: AsyncSession, township_id: int) -> list[int]:
    """Person ids holding the township party committee post over the township."""
    result = await session.exec(
        select(ApproverPost.person_id)
        .where(
            ApproverPost.kind == ApproverKind.TOWNSHIP_PARTY_COMMITTEE,
            ApproverPost.jurisdiction_key == f"township:{township_id}",
        )
        .order_by(col(ApproverPost.person_id))
    )
    return list(dict.fromkeys(result.all()))


async def _flag_risk(
    session: AsyncSession,
    visit: Visit,
    target: VisitTarget,
    checks: dict[str, Check],
    *,
    now: datetime,
    zone: ZoneInfo,
) -> int:
    cadre = await session.get(Cadre, visit.cadre_id)
    person = await session.get(Person, cadre.person_id) if cadre else None
    params: dict[str, Any] = {
        "visit_id": visit.id,
        "household": target.head_name,
        "code": target.code,
        "village": target.village,
        "township": target.township,
        "cadre": person.name if person else "",
        "mode": visit.mode.value,
        "visited_on": visit.visited_at.astimezone(zone).date().isoformat(),
        "problems": [{"check": k, "note": c.note} for k, c in checks.items() if not c.ok],
        "note": visit.risk_note or visit.notes,
    }
    told = 0
    for person_id in await township_approvers(session, target.township_id):
        if await outbox.to_person(
            session,
            person_id,
            key=f"visit-risk:{visit.id}:{person_id}",
            template=RISK_TEMPLATE,
            params=params,
            now=now,
            ref=f"visit:{visit.id}",
        ):
            told += 1
    return told


@dataclass(frozen=True)
class QuickVisit:
    """What a one-line visit would record, before the household is settled."""

    mode: VisitMode
    notes: str
    checks: dict[str, Check] = field(default_factory=dict)
    risk_note: str | None = None


def quick_fields(mode: VisitMode, notes: str) -> QuickVisit:
    """The one-line visit's checks and risk, read from its notes (services/visits/one_line.py)."""
    problems = problems_from_notes(notes, MAX_CHECK_NOTE_CHARS)
    checks = {key: Check(ok=False, note=note) for key, note in problems.items()}
    return QuickVisit(mode, notes, checks, risk_from_notes(notes))


@dataclass(frozen=True)
class QuickOutcome:
    """A one-line visit: saved, or waiting for the cadre to pick the household."""

    saved: VisitSaved | None
    choices: SearchResult | None
    quick: QuickVisit | None
    query: str


def _sure(result: SearchResult) -> bool:
    best = result.best
    return best is not None and best.kind is not MatchKind.FUZZY


async def quick_visit(
    session: AsyncSession,
    text: str,
    *,
    cadre_id: int,
    pack: PolicyPack,
    now: datetime,
    photos: Sequence[PhotoIn] = (),
    zone: ZoneInfo = DEFAULT_ZONE,
) -> QuickOutcome:
    """Save ``/visit <name or code> [mode] [notes]`` when the name settles on one household
    (a code, an exact name, or an exact reading); otherwise return the choices. A fuzzy match
    is always confirmed by the cadre, so a typo never records a visit to the wrong family."""
    parsed = parse_one_line(text)
    if not parsed.names:
        raise DomainError("visit_name_missing")
    village_id = await cadre_village(session, cadre_id)
    best: tuple[SearchResult, str] | None = None
    for name, notes in parsed.names:
        result = await search(session, name, cadre_id=cadre_id, village_id=village_id)
        if _sure(result):
            best = (result, notes)
            break
        top = result.matches[0].score if result.matches else -1.0
        if best is None or (best[0].matches[0].score if best[0].matches else -1.0) < top:
            best = (result, notes)
    assert best is not None
    result, notes = best
    quick = quick_fields(parsed.mode, notes)
    if not _sure(result):
        return QuickOutcome(None, result, quick, result.query)
    match = result.matches[0]
    saved = await log_quick(
        session, cadre_id=cadre_id, household_id=match.household_id, quick=quick,
        pack=pack, now=now, photos=photos, zone=zone,
    )  # fmt: skip
    return QuickOutcome(saved, result, quick, result.query)


async def log_quick(
    session: AsyncSession,
    *,
    cadre_id: int,
    household_id: int,
    quick: QuickVisit,
    pack: PolicyPack,
    now: datetime,
    photos: Sequence[PhotoIn] = (),
    zone: ZoneInfo = DEFAULT_ZONE,
) -> VisitSaved:
    return await log_visit(
        session,
        cadre_id=cadre_id,
        household_id=household_id,
        mode=quick.mode,
        pack=pack,
        now=now,
        checks=quick.checks,
        notes=quick.notes,
        photos=photos,
        risk=quick.risk_note is not None,
        risk_note=quick.risk_note or "",
        zone=zone,
    )


# --- my households -------------------------------------------------------------------------


@dataclass(frozen=True)
class MyHousehold:
    household_id: int
    code: str
    head_name: str
    category: HouseholdCategory
    village: str
    last_visit_at: datetime | None  # the household's last visit, by anyone, any mode
    last_visit_mode: VisitMode | None
    done_this_quarter: bool  # this cadre's counted visits reach the pack's minimum


async def my_households(
    session: AsyncSession,
    cadre_id: int,
    *,
    pack: PolicyPack,
    now: datetime,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> list[MyHousehold]:
    """The cadre's active pairings, with the last visit and this quarter's status."""
    rows = (
        await session.exec(
            select(Household, Village)
            .join(Pairing, col(Pairing.household_id) == col(Household.id))
            .join(Village, col(Village.id) == col(Household.village_id))
            .where(Pairing.cadre_id == cadre_id, col(Pairing.ended_at).is_(None))
            .order_by(col(Household.code))
        )
    ).all()
    ids = [h.id for h, _ in rows if h.id is not None]
    visits = (
        await session.exec(
            select(Visit)
            .where(col(Visit.household_id).in_(ids))
            .order_by(col(Visit.visited_at).desc())
        )
    ).all()
    quarter = Quarter.of(now, zone)
    start, end = quarter.start(zone), quarter.end(zone)
    modes = counted_modes(pack)
    last: dict[int, Visit] = {}
    counted: dict[int, int] = {}
    for visit in visits:
        last.setdefault(visit.household_id, visit)
        if visit.cadre_id == cadre_id and visit.mode in modes and start <= visit.visited_at < end:
            counted[visit.household_id] = counted.get(visit.household_id, 0) + 1
    out = []
    for household, village in rows:
        assert household.id is not None
        seen = last.get(household.id)
        out.append(
            MyHousehold(
                household_id=household.id,
                code=household.code,
                head_name=household.head_name,
                category=household.category,
                village=village.name,
                last_visit_at=seen.visited_at if seen else None,
                last_visit_mode=seen.mode if seen else None,
                done_this_quarter=counted.get(household.id, 0) >= pack.visits.min_per_quarter,
            )
        )
    return out
