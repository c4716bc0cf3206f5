"""/coverage [2026Q4]: the quarter's visit coverage. Approvers see their jurisdiction,
cadres their own pairings. In a private chat the households not yet visited are listed by
name; in a group only the counts are shown."""

from __future__ import annotations

from handlers.core.request import Request
from handlers.core.routing import Router
from handlers.core.views import Reply
from handlers.visits.views import (
    coverage_text,
    error_text,
    mode_text,
    quarter_text,
)
from models.enums import Role
from services.errors import DomainError
from services.periods import Period
from services.policy import Cadence
from services.roster.identity import Identity
from services.visits import coverage as coverages
from services.visits.coverage import Scope, ScopeKind


def scopes_of(identity: Identity) -> list[Scope]:
    scopes: list[Scope] = []
    if identity.cadre is not None:
        scopes.append(Scope(ScopeKind.CADRE, identity.cadre.cadre_id))
    for post in identity.posts:
        scope = Scope.of_post(post.jurisdiction, post.jurisdiction_key)
        if scope not in scopes:
            scopes.append(scope)
    return scopes


async def show_coverage(req: Request) -> Reply:
    t, identity = req.t, req.me
    now, zone = req.now(), req.zone
    args = req.event.args
    try:
        quarter = (
            Period.parse(args, Cadence.QUARTERLY)
            if args
            else Period.of(Cadence.QUARTERLY, now, zone)
        )
    except DomainError as exc:
        return Reply.text(error_text(t, exc))
    pack = req.pack
    found = await coverages.coverages(
        req.session, pack, quarter, scopes_of(identity), now=now, zone=zone
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
    private = req.event.private
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
    return Reply.text("\n".join(lines))


def routes() -> Router:
    router = Router("coverage")
    router.command("coverage", show_coverage, roles={Role.CADRE, Role.APPROVER}, chat=None)
    return router
