"""Binding people to their DingTalk accounts by the mobile number in the organisation's
contacts (``zhucun invite --by-mobile``), for an app with the contact permission.

The caller asks DingTalk first (a staff id, or None, for each person's roster phone) and
hands the answers here: everything is written in the caller's one transaction, so a
refused lookup leaves nothing half done. Phone numbers are never logged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import Channel
from models.tables import Person
from services.messaging import outbox, templates
from services.roster import accounts
from services.roster.invites import mark_registered

DINGTALK: str = Channel.DINGTALK
GREETING = "account.bound_by_mobile"


class BoundByMobileParams(TypedDict):
    """The greeting to someone just registered by their mobile number."""

    name: str


templates.declare(GREETING, BoundByMobileParams)


def mobile_of(phone: str) -> str:
    """A roster phone as DingTalk's contacts hold a mainland mobile: digits only, without
    the country code (empty when there are none)."""
    digits = re.sub(r"\D", "", phone)
    return re.sub(r"^86(?=1\d{10}$)", "", digits)


@dataclass(frozen=True)
class Taken:
    """``name``'s staff id already belongs to ``holder``'s account: not rebound."""

    name: str
    holder: str


@dataclass
class Outcome:
    bound: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    taken: list[Taken] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # bound to that very account before


async def bind_found(
    session: AsyncSession, found: Iterable[tuple[Person, str | None]], *, now: datetime
) -> Outcome:
    """Bind each person to the DingTalk staff id found for them (None: not in the
    contacts), mark them registered as an invitation would, and queue a greeting on
    DingTalk. A staff id that is someone else's account is reported, not rebound."""
    outcome = Outcome()
    for person, staff in found:
        assert person.id is not None
        if staff is None:
            outcome.not_found.append(person.name)
            continue
        holder = await accounts.account_by_external_id(session, DINGTALK, staff)
        if holder is not None and holder.person_id != person.id:
            other = await session.get(Person, holder.person_id)
            outcome.taken.append(Taken(person.name, other.name if other else "?"))
            continue
        if holder is not None:
            outcome.already.append(person.name)
            continue
        await accounts.bind(
            session, person.id, channel=DINGTALK, external_id=staff, chat_id=staff, now=now
        )
        await mark_registered(session, person, now)
        await outbox.to_person(
            session,
            person.id,
            key=f"{GREETING}:{person.id}:{staff}",
            template=GREETING,
            params=dict(BoundByMobileParams(name=person.name)),
            now=now,
            channel=DINGTALK,
        )
        outcome.bound.append(person.name)
    return outcome
