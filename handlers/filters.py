"""Router guards by role. The roles come from the roster via ``IdentityMiddleware``."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from models.enums import Role
from services.roster.identity import Identity


class Registered(Filter):
    async def __call__(self, event: TelegramObject, identity: Identity | None = None) -> bool:
        return identity is not None


class HasRole(Filter):
    """Passes when the sender holds any of the given roles."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, event: TelegramObject, identity: Identity | None = None) -> bool:
        return identity is not None and bool(self.roles & identity.roles)
