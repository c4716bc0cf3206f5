"""One-line visits (``/visit 张伟明 电话 孩子辍学``): the household the name settles on, and
the checks and risk read from the notes (services/visits/one_line.py). A name that does
not settle on one household is offered back as choices, never guessed; notes that name a
problem (services/visits/problem_words.py) wait for the cadre to say which item it is, so
an innocuous one line stays one step and a problem is never filed as "all normal".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import VisitMode
from services.errors import DomainError
from services.policy import PolicyPack
from services.visits.household_search import SearchResult, search
from services.visits.one_line import parse_one_line, problems_from_notes, risk_from_notes
from services.visits.problem_words import named_problems
from services.visits.records import (
    MAX_CHECK_NOTE_CHARS,
    Check,
    PhotoIn,
    VisitSaved,
    log_visit,
    visited_today,
)
from services.visits.targets import cadre_village


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
    # Settled on a household, but the notes name a problem: these items, to ask about.
    household_id: int | None = None
    named: tuple[str, ...] = ()
    # Settled, but the cadre already visited the household today: ask before a second.
    again: bool = False


def answered(quick: QuickVisit, item: str | None) -> QuickVisit:
    """The visit once the cadre has said which item the notes concern (None: all fine)."""
    checks = {item: Check(ok=False, note=quick.notes[:MAX_CHECK_NOTE_CHARS])} if item else {}
    return QuickVisit(quick.mode, quick.notes, checks, quick.risk_note)


def _sure(result: SearchResult) -> bool:
    return result.best is not None


async def quick_visit(
    session: AsyncSession,
    text: str,
    *,
    cadre_id: int,
    pack: PolicyPack,
    now: datetime,
    photos: Sequence[PhotoIn] = (),
    zone: ZoneInfo,
) -> QuickOutcome:
    """Save ``/visit <name or code> [mode] [notes]`` when the name settles on one household
    (a code or the exact name, services/visits/household_search.py); otherwise return the
    choices, so a typo or a same-sound name never records a visit to the wrong family."""
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
    named = named_problems(notes)
    if named:
        return QuickOutcome(None, result, quick, result.query, match.household_id, named)
    if await visited_today(session, cadre_id, match.household_id, now=now, zone=zone):
        return QuickOutcome(None, result, quick, result.query, match.household_id, again=True)
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
    zone: ZoneInfo,
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
