"""What handlers need from the deployment, as a protocol: the composition root's Settings
satisfies it, and handlers do not import the composition root."""

from __future__ import annotations

from datetime import date
from typing import Protocol
from zoneinfo import ZoneInfo

from services.clock import Clock
from services.policy import PolicyPack
from services.policy_loading import load_pack


class Deployment(Protocol):
    @property
    def policy(self) -> str: ...

    @property
    def zone(self) -> ZoneInfo: ...


def pack_of(settings: Deployment) -> PolicyPack:
    return load_pack(settings.policy)


def today(clock: Clock, settings: Deployment) -> date:
    return clock.now().astimezone(settings.zone).date()
