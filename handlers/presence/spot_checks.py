"""/spotcheck (the approver asks), /explain and the Explain button (the cadre), Confirm and
Clear (the approver decides). Every press is re-checked by the service."""

from __future__ import annotations

from html import escape

from handlers.core.conversation import State, Steps
from handlers.core.request import Request
from handlers.core.routing import Router, Skip
from handlers.core.views import Edit, Reply, Toast
from handlers.formatting import stamp
from handlers.presence.payloads import SpotCb
from handlers.presence.views import error_text
from locales import N_
from models.enums import CheckState, Role
from services.errors import DomainError
from services.presence import spot_check_decisions, spot_checks

SANCTIONS = {
    "notice": N_("A city-wide notice is recorded and the county told (ganzhou Art.21)."),
    "recall_proposal": N_(
        "A recall proposal is opened for the county leading group (ganzhou Art.21)."
    ),
    "no_award": N_("No award this year is recorded (qinghai item 4)."),
}


class ExplainFlow(Steps):
    command = "explain"
    text = State()


async def start_check(req: Request) -> Reply:
    t, zone = req.t, req.zone
    try:
        started = await spot_checks.start(
            req.session, req.pack, req.me.person_id, req.event.args, req.now(), zone
        )
    except DomainError as exc:
        return Reply.text(error_text(t, exc))
    asked = [
        f"{escape(x.name)}（{escape(x.village)}）"
        for x in started.targets
        if x.state is CheckState.ASKED
    ]
    lines = []
    if asked:
        lines.append(
            t(
                "Spot check sent to {names}. They have until {time} to share their location.",
                names=t(", ").join(asked),
                time=stamp(t, started.deadline_at, zone),
            )
        )
    for target in started.targets:
        if target.state is CheckState.FINE:
            lines.append(t("{name} is on approved leave today: fine.", name=escape(target.name)))
        elif not target.reachable:
            lines.append(
                t(
                    "{name} has not opened the bot and cannot answer; no answer counts as "
                    "suspected at the deadline.",
                    name=escape(target.name),
                )
            )
    lines.append(t("You will hear each answer here."))
    return Reply.text("\n".join(lines))


async def pressed(req: Request) -> Reply:
    t, identity = req.t, req.identity
    press = req.press(SpotCb)
    if identity is None:
        return Reply.toast(error_text(t, DomainError("not_your_check")), alert=True)
    if press.action == "explain":
        await req.state.set_state(ExplainFlow.text)
        await req.state.update_data(target_id=press.target_id)
        return Reply.text(t("What happened? Write your explanation:"))
    try:
        decided = await spot_check_decisions.decide(
            req.session, req.pack, press.target_id, identity.person_id,
            confirm=press.action == "confirm", now=req.now(),
        )  # fmt: skip
    except DomainError as exc:
        return Reply.toast(error_text(t, exc), alert=True)
    confirmed = decided.target.state is CheckState.CONFIRMED
    verdict = (
        t("Confirmed as an unexplained absence by {name}.", name=escape(decided.decided_by))
        if confirmed
        else t("Cleared by {name}.", name=escape(decided.decided_by))
    )
    if not decided.decided_now:
        verdict = t("Already decided: {verdict}", verdict=verdict)
    extra = [t(SANCTIONS[kind]) for kind in decided.sanctions if kind in SANCTIONS]
    reply = Reply([Toast(verdict, alert=not decided.decided_now)])
    origin = req.event.origin
    if origin is not None:
        reply.add(Edit("\n".join([origin.text, "", f"<b>{verdict}</b>", *extra])))
    return reply


async def _explain(req: Request, text: str, target_id: int | None) -> Reply:
    t, cadre = req.t, req.me.cadre
    if cadre is None:
        return Reply.text(error_text(t, DomainError("nothing_to_explain")))
    try:
        await spot_check_decisions.explain(
            req.session, req.pack, cadre.cadre_id, text, req.now(), target_id
        )
    except DomainError as exc:
        return Reply.text(error_text(t, exc))
    return Reply.text(t("Your explanation has been sent to the approver who asked."))


async def explain_command(req: Request) -> Reply:
    await req.state.clear()
    args = req.event.args
    if not args.strip():
        await req.state.set_state(ExplainFlow.text)
        return Reply.text(req.t("What happened? Write your explanation:"))
    return await _explain(req, args, None)


async def typed_explanation(req: Request) -> Reply:
    if req.event.text.startswith("/"):
        raise Skip  # a lone "/" is no command, nor an explanation: as before, not ours
    data = await req.state.get_data()
    await req.state.clear()
    target_id = data.get("target_id")
    return await _explain(req, req.event.text, int(target_id) if target_id is not None else None)


def routes() -> Router:
    router = Router("spot_checks")
    # No role filter on the buttons: the service decides who may press what.
    router.press(SpotCb, pressed, registered=False)
    router.command("spotcheck", start_check, roles={Role.APPROVER})
    router.command("explain", explain_command, roles={Role.CADRE})
    router.typed(ExplainFlow.text, typed_explanation, roles={Role.CADRE})
    return router
