"""Self-driven round trips (/trip <km>) and what they reimburse (ganzhou Art.27(一)).

每月按等距离高铁车票标准（0.45元/公里）报销不超过2次往返交通费（一往一返计1次）: the km a
cadre logs is the whole round trip; the month's first trips up to the pack's cap are paid at
the pack's rate, tolls never (不得报销过路过桥等费用). A pack without a rate (qinghai-2018)
reimburses nothing here and refuses /trip.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.presence import Trip
from services import audit
from services.errors import DomainError
from services.policy import PolicyPack
from services.presence.days import month_days

MAX_KM = Decimal("5000")  # a round trip longer than this is a typing slip
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Transport:
    logged: int  # round trips logged in the month
    counted: int  # of them, reimbursed (the first ones, up to the pack's cap)
    km: Decimal  # kilometres reimbursed
    amount: Decimal  # yuan; 0 when the pack sets no rate

    @property
    def over_cap(self) -> bool:
        return self.logged > self.counted


def transport(pack: PolicyPack, kms: list[Decimal]) -> Transport:
    """The month's reimbursement for trips in the order they were made."""
    rate = pack.money.transport_per_km
    if rate is None:
        return Transport(len(kms), 0, Decimal(0), Decimal(0))
    cap = pack.money.transport_max_round_trips_per_month
    paid = kms if cap is None else kms[:cap]
    km = sum(paid, Decimal(0))
    return Transport(len(kms), len(paid), km, (km * rate).quantize(CENT, ROUND_HALF_UP))


def parse_km(text: str) -> Decimal:
    try:
        km = Decimal(text.strip().lower().removesuffix("km").removesuffix("公里"))
    except InvalidOperation:
        raise DomainError("trip_km_invalid", text=text) from None
    if not km.is_finite() or km > MAX_KM:
        raise DomainError("trip_km_invalid", text=text)
    # Checked once rounded: "0.01" would be a round trip of 0.0 km, counted and paid.
    km = km.quantize(Decimal("0.1"), ROUND_HALF_UP)
    if km <= 0:
        raise DomainError("trip_km_invalid", text=text)
    return km


async def kms_by_cadre(
    session: AsyncSession, cadre_ids: Any, year: int, month: int
) -> dict[int, list[Decimal]]:
    """Each cadre's trips of the month, oldest first; ``cadre_ids`` a list or a subquery."""
    days = month_days(year, month)
    rows = await session.exec(
        select(col(Trip.cadre_id), col(Trip.km))
        .where(
            col(Trip.cadre_id).in_(cadre_ids),
            col(Trip.day) >= days[0],
            col(Trip.day) <= days[-1],
        )
        .order_by(col(Trip.day), col(Trip.id))
    )
    out: dict[int, list[Decimal]] = defaultdict(list)
    for cadre_id, km in rows.all():
        out[cadre_id].append(Decimal(km))
    return out


async def log(
    session: AsyncSession,
    pack: PolicyPack,
    cadre_id: int,
    person_id: int,
    km_text: str,
    note: str,
    day: date,
    now: datetime,
) -> tuple[Trip, Transport]:
    """Record a round trip on ``day``; returns it and the month's reimbursement so far."""
    if pack.money.transport_per_km is None:
        raise DomainError("trip_not_in_policy")
    km = parse_km(km_text)
    trip = Trip(cadre_id=cadre_id, day=day, km=km, note=note.strip()[:200], at=now)
    session.add(trip)
    await session.flush()
    await audit.record(
        session,
        entity="trip",
        entity_id=trip.id,
        action="log",
        actor_person_id=person_id,
        at=now,
        note=f"{km} km {trip.note}".strip(),
    )
    kms = await kms_by_cadre(session, [cadre_id], day.year, day.month)
    return trip, transport(pack, kms.get(cadre_id, []))
