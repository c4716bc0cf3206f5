"""What handlers need from the deployment, as a protocol: the composition root's Settings
satisfies it, and handlers do not import the composition root."""

from __future__ import annotations

from typing import Protocol
from zoneinfo import ZoneInfo


class Deployment(Protocol):
    @property
    def policy(self) -> str: ...

    @property
    def zone(self) -> ZoneInfo: ...
