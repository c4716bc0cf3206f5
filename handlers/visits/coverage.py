"""/coverage [2026Q4]: the quarter's visit coverage. Approvers see their jurisdiction,
cadres their own pairings. In a private chat the households not yet visited are listed by
name; in a group only the counts are shown."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.context import Deployment, pack_of
from handlers.filters import HasRole
from handlers.visits.views import (
    coverage_text,
    error_text,
    mode_text,
    quarter_text,
)
from locales import Translator
from models.db import UnitOfWork
from models.enums import Role
from services.clock import Clock
from services.errors import DomainError
from services.roster.identity import Identity
from services.visits import coverage as coverages
from services.visits.coverage import Quarter, Scope, ScopeKind


def scopes_of(identity: Identity) -> list[Scope]:
    scopes: list[Scope] = []
    if identity.cadre is not None:
        scopes.append(Scope(ScopeKind.CADRE, identity.cadre.cadre_id))
    for post in identity.posts:
        scope = Scope.of_post(post.jurisdiction, post.jurisdiction_key)
        if scope not in scopes:
            scopes.append(scope)
    return scopes


async def show_coverage(
    message: Message, command: CommandObject, identity: Identity, uow: UnitOfWork,
    clock: Clock, settings: Deployment, t: Translator,
) -> Any:  # fmt: skip
    now, zone = clock.now(), settings.zone
    args = (command.args or "").strip()
    try:
        quarter = Quarter.parse(args) if args else Quarter.of(now, zone)
    except DomainError as exc:
        return message.answer(error_text(t, exc))
    pack = pack_of(settings)
    found = await coverages.coverages(
        uow.session, pack, quarter, scopes_of(identity), now=now, zone=zone
    )
    modes = t(", ").join(mode_text(t, m) for m in found[0].counted_modes) if found else ""
    lines = [
        t(
            "<b>Visit coverage, {quarter}</b> ({days} days left). Counted: {modes}, "
            "at least {n} per household.",
            quarter=quarter_text(t, quarter),
            days=quarter.days_left(now, zone),
            modes=modes,
            n=pack.visits.min_per_quarter,
        )
    ]
    private = message.chat.type == ChatType.PRIVATE
    for cov in found:
        lines.append("")
        if cov.scope.kind is ScopeKind.CADRE:
            lines.append(t("My pairings:"))
        # A dispatching unit oversees its cadres, not the households: counts only.
        details = private and cov.scope.kind is not ScopeKind.UNIT
        lines.append(coverage_text(t, cov, details=details))
    if not private:
        lines.append("")
        lines.append(t("Names are shown only in a private chat with me."))
    return message.answer("\n".join(lines))


def build_router() -> Router:
    """A fresh router each call, so several dispatchers (tests, replicas) can coexist."""
    router = Router(name="coverage")
    router.message.register(
        show_coverage,
        Command("coverage"),
        HasRole(Role.CADRE, Role.APPROVER),
        F.chat.type.in_({ChatType.PRIVATE, ChatType.GROUP, ChatType.SUPERGROUP}),
    )
    return router
