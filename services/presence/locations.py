"""A location the cadre shared with the bot: evidence of presence, never a daily punch-in.

Inside the pack's radius of the village's coordinates (``presence.radius_km``) it marks that
day as in the village, weekends included; outside it is kept but proves nothing, except as
the answer to an open spot check. Forwarded locations never get here: the chat layer refuses
them, since they show where someone else was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models.presence import LocationReport
from models.tables import Village
from services.errors import DomainError
from services.policy import PolicyPack
from services.presence import spot_checks
from services.presence.geo import valid, within
from services.roster.jurisdiction import place_of_cadre

SOURCES = ("location", "here")


@dataclass(frozen=True)
class Shared:
    report_id: int
    inside: bool
    distance_m: float | None  # None when the village has no coordinates on the roster
    radius_km: float
    answered: tuple[spot_checks.Answer, ...]


async def share(
    session: AsyncSession,
    pack: PolicyPack,
    cadre_id: int,
    latitude: float,
    longitude: float,
    *,
    now: datetime,
    source: str = "location",
) -> Shared:
    """Record the location and let it answer any spot check still open for the cadre."""
    if source not in SOURCES:
        raise ValueError(f"unknown location source {source!r}")
    if not valid(latitude, longitude):
        raise DomainError("location_invalid")
    place = await place_of_cadre(session, cadre_id)
    village = await session.get(Village, place.village_id)
    centre = (village.latitude, village.longitude) if village else (None, None)
    inside, distance = within(latitude, longitude, centre, pack.presence.radius_km)
    report = LocationReport(
        cadre_id=cadre_id,
        at=now,
        latitude=latitude,
        longitude=longitude,
        source=source,
        distance_m=distance,
        inside=inside,
    )
    session.add(report)
    await session.flush()
    assert report.id is not None
    answered = await spot_checks.answer(session, report, now)
    return Shared(report.id, inside, distance, pack.presence.radius_km, tuple(answered))
