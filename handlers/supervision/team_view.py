"""/team: the team leader's view of the team, in the private chat only (it names the
members and their leave): days this month so far, leave pending or decided, and the
quarter's visits against what is required. Households are counted, never named."""

from __future__ import annotations

from html import escape

from handlers.core.request import Request
from handlers.core.routing import Router
from handlers.core.views import Reply
from handlers.formatting import date_range, short_date
from handlers.labels import LEAVE_KINDS, TEAM_ROLES, label
from handlers.presence.views import month_label
from handlers.visits.views import quarter_text
from locales import Translator
from models.enums import LeaveState, Role
from services.calendar import load_calendar
from services.supervision.team_view import Member, TeamView, team_view


def _leave(t: Translator, m: Member) -> str:
    parts = []
    if m.pending:
        parts.append(t("{n} awaiting a decision", n=m.pending))
    for span in m.away:
        words = t(
            "{kind} {days}",
            kind=label(t, LEAVE_KINDS, span.kind),
            days=date_range(t, span.start, span.end),
        )
        if span.state is LeaveState.TO_COMPLETE:
            words = t("{leave} (emergency, paperwork owed)", leave=words)
        parts.append(words)
    return t(", ").join(parts) if parts else t("none")


def _member(t: Translator, m: Member) -> str:
    head = f"<b>{escape(m.name)}</b> · {label(t, TEAM_ROLES, m.team_role)}"
    return "\n".join(
        [
            "• " + head,
            "  "
            + t(
                "Days counted: {counted} of {minimum} (in the village {in_village}, of which "
                "{evidenced} shown by a location or visit)",
                counted=m.counted,
                minimum=m.minimum,
                in_village=m.in_village,
                evidenced=m.evidenced,
            ),
            "  " + t("Leave: {leave}", leave=_leave(t, m)),
            "  "
            + t(
                "Visits: {visited} of {pairings} paired households done",
                visited=m.visited,
                pairings=m.pairings,
            ),
        ]
    )


def team_text(t: Translator, view: TeamView) -> str:
    lines = [
        "<b>"
        + t(
            "Team in {village}, {month} (up to {day})",
            village=escape(view.village),
            month=month_label(t, view.year, view.month),
            day=short_date(t, view.today),
        )
        + "</b>",
        t(
            "Visits for {quarter}: at least {n} per paired household; {days} days left.",
            quarter=quarter_text(t, view.quarter),
            n=view.visits_per_quarter,
            days=view.quarter_days_left,
        ),
    ]
    for member in view.members:
        lines += ["", _member(t, member)]
    return "\n".join(lines)


async def show_team(req: Request) -> Reply:
    cadre = req.me.cadre
    assert cadre is not None  # the route lets team leaders in only
    view = await team_view(
        req.session, req.pack, await load_calendar(req.session), cadre.team_id, req.now(),
        req.zone,
    )  # fmt: skip
    return Reply.text(team_text(req.t, view))


async def not_the_leader(req: Request) -> Reply:
    return Reply.text(
        req.t("Only the team leader sees the whole team (/team). Your own month: /month.")
    )


def routes() -> Router:
    router = Router("team_view")
    # Private only (the default): the view names members and their leave.
    router.command("team", show_team, roles={Role.TEAM_LEADER})
    # The first route that fits wins: anyone else registered hears why, not "not understood".
    router.command("team", not_the_leader, roles={Role.CADRE})
    return router
