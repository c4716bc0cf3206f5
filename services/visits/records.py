"""走访: logging a visit to a household.

A visit records how the household stands on "一收入两不愁三保障" as seven checks (``CHECKS``),
each fine or a problem with a note; free notes; photos (Telegram file ids); an optional
location (never required); and an optional risk flag (返贫风险). A risk flag enqueues, in the
same transaction, a private message to every holder of the township party committee post
over the household's township, and to nobody else; it is chased until one of them
acknowledges it (services/visits/risk_flags.py).

Only the paired cadre's visits count towards the pairing's quarter
(services/visits/coverage.py); who may log one at all is services/visits/targets.py.

One-line visits (``/visit 张伟明 电话 孩子辍学``) are saved through services/visits/quick_visits.py.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import VisitMode
from models.workflow import Visit, VisitPhoto
from services.errors import DomainError
from services.policy import PolicyPack
from services.visits.coverage import counted_modes
from services.visits.risk_flags import flag_risk
from services.visits.targets import VisitTarget, visit_target

# 一收入两不愁三保障: income; food and clothing; schooling, medical care, housing, drinking water.
CHECKS: tuple[str, ...] = ("income", "food", "clothing", "schooling", "medical", "housing", "water")
MAX_NOTES_CHARS = 1000
MAX_CHECK_NOTE_CHARS = 200
MAX_PHOTOS = 10
# A visit may be recorded a little after the fact, never ahead of it.
FUTURE_TOLERANCE = timedelta(minutes=5)


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
class VisitSaved:
    visit_id: int
    target: VisitTarget
    mode: VisitMode
    visited_at: datetime
    problems: tuple[str, ...]  # check keys marked as problems
    notes: str
    check_notes: tuple[tuple[str, str], ...]  # (check key, its note) where one was written
    risk_note: str
    photos: int
    has_location: bool
    risk: bool
    counted: bool  # counts for the quarter (the pack's mode, the paired cadre)
    approvers_told: int  # township approvers a risk flag was queued for


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
    zone: ZoneInfo,
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
        told = await flag_risk(session, visit, now=now, zone=zone)
    await session.flush()
    return VisitSaved(
        visit_id=visit.id,
        target=target,
        mode=mode,
        visited_at=at,
        problems=tuple(k for k, c in clean.items() if not c.ok),
        notes=notes,
        check_notes=tuple((k, c.note) for k, c in clean.items() if c.note),
        risk_note=visit.risk_note,
        photos=len(photos),
        has_location=location is not None,
        risk=risk,
        counted=target.paired and mode in counted_modes(pack),
        approvers_told=told,
    )


async def visited_today(
    session: AsyncSession, cadre_id: int, household_id: int, *, now: datetime, zone: ZoneInfo
) -> bool:
    """Whether the cadre already logged a visit to the household on ``now``'s local day: a
    second one is asked about, since repeated taps and retries filed four in one day."""
    start = datetime.combine(now.astimezone(zone).date(), time(), zone)
    found = await session.exec(
        select(Visit.id).where(
            Visit.cadre_id == cadre_id,
            Visit.household_id == household_id,
            col(Visit.visited_at) >= start,
            col(Visit.visited_at) < start + timedelta(days=1),
        )
    )
    return found.first() is not None
