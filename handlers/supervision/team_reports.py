"""/halfyear: the team leader submits the team's half-year work report (思想、工作、学习,
central-2017 四(二)); the county leading group office receives it. ``/halfyear <text>`` in
one message, or ``/halfyear`` alone and the text in the next message."""

from __future__ import annotations

from html import escape

from handlers.core.conversation import State, Steps
from handlers.core.request import Request
from handlers.core.routing import Router
from handlers.core.views import Reply
from handlers.supervision.schedule_notices import period_text
from locales import N_, Translator
from models.enums import Role
from services.errors import DomainError
from services.supervision import team_reports

ERRORS = {
    "team_leader_required": N_("Only the team leader in post can submit the team's report."),
    "team_report_empty": N_("The report is empty; please write it out."),
    "team_report_too_long": N_(
        "The report is too long ({length} characters, at most {max}); please shorten it."
    ),
}


class HalfYearFlow(Steps):
    command = "halfyear"
    text = State()


def _error(t: Translator, exc: DomainError) -> str:
    msgid = ERRORS.get(exc.code)
    if msgid is None:
        return t("Sorry, that did not work ({code}).", code=escape(exc.code))
    return t(msgid, **{k: escape(str(v)) for k, v in exc.params.items()})


async def _submit(req: Request, text: str) -> Reply:
    t, identity = req.t, req.me
    assert identity.cadre is not None  # the route only lets team leaders in
    try:
        done = await team_reports.submit(
            req.session, req.pack, identity.cadre.team_id, identity.person_id, text, req.now(),
            req.zone,
        )  # fmt: skip
    except DomainError as exc:
        return Reply.text(_error(t, exc))
    period = period_text(t, done.period)
    if done.replaced:
        reply = t("The half-year report for {period} is updated; it replaces the earlier one.",
                  period=period)  # fmt: skip
    else:
        reply = t("The half-year report for {period} is submitted.", period=period)
    if done.delivered:
        reply += " " + t("It has been sent to the county leading group office.")
    else:
        reply += " " + t(
            "It is saved, but nobody at the county leading group office can receive it in the "
            "bot yet; please let them know."
        )
    return Reply.text("📄 " + reply)


async def halfyear_command(req: Request) -> Reply:
    t = req.t
    await req.state.clear()
    text = req.event.args
    if text:
        return await _submit(req, text)
    period = team_reports.report_period(req.pack, req.today())
    await req.state.set_state(HalfYearFlow.text)
    return Reply.text(
        t(
            "Write the team's half-year work report for {period} (thinking, work, study) and "
            "send it as one message.",
            period=period_text(t, period.label),
        )
    )


async def typed_report(req: Request) -> Reply:
    await req.state.clear()
    return await _submit(req, req.event.text)


def routes() -> Router:
    router = Router("team_reports")
    leaders = {Role.TEAM_LEADER}
    router.command("halfyear", halfyear_command, roles=leaders)
    router.typed(HalfYearFlow.text, typed_report, roles=leaders)
    return router
