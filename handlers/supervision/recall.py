"""/recall (the township proposes, ganzhou Art.22), the county leading group's decision and
the dispatching unit's "replacement sent", by button. The service re-checks every post."""

from __future__ import annotations

from html import escape

from handlers.core.conversation import MESSAGE_EXPIRED, State, Steps
from handlers.core.request import Request
from handlers.core.routing import Router
from handlers.core.views import Button, Edit, Reply, Text, Toast
from handlers.presence.views import error_text
from handlers.supervision.payloads import RecallCb, RecallGround
from locales import N_, Translator
from models.enums import Role
from services.errors import DomainError
from services.policy import PolicyPack
from services.supervision import recall


class RecallFlow(Steps):
    command = "recall"
    message = "recall_draft"
    note = State()


def _grounds(pack: PolicyPack) -> list[str]:
    return list(pack.recall.grounds)


def _usage(t: Translator, pack: PolicyPack) -> str:
    lines = [
        escape(
            t(
                "To propose a recall: /recall <name>, then choose the ground; or in one line "
                "/recall <name> <ground number> <note>. The grounds (ganzhou Art.22):"
            )
        )
    ]
    lines += [f"{n}. {escape(text)}" for n, text in enumerate(pack.recall.grounds.values(), 1)]
    return "\n".join(lines)


async def _propose(req: Request, cadre_id: int, ground: str, note: str) -> Reply:
    t, pack = req.t, req.pack
    try:
        row = await recall.propose(
            req.session, pack, req.me.person_id, cadre_id, ground, note, req.now()
        )
    except DomainError as exc:
        return Reply.text(error_text(t, exc))
    return Reply.text(
        t(
            "Recall proposal #{id} ({ground}) sent to the county leading group, which decides.",
            id=row.id,
            ground=escape(pack.recall.grounds[ground]),
        )
    )


async def recall_command(req: Request) -> Reply:
    t, pack = req.t, req.pack
    await req.state.clear()
    words = req.event.args.split(maxsplit=2)
    if not words:
        return Reply.text(_usage(t, pack))
    try:
        found = await recall.find_cadre(req.session, pack, req.me.person_id, words[0], req.today())
    except DomainError as exc:
        return Reply.text(error_text(t, exc))
    grounds = _grounds(pack)
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    if len(words) == 3 and words[1].isdecimal() and 1 <= int(words[1]) <= len(grounds):
        ground = grounds[int(words[1]) - 1]
        return await _propose(req, found.cadre_id, ground, words[2])
    buttons = tuple(
        (Button(f"{n}. {text}", RecallGround(cadre_id=found.cadre_id, ground=n - 1).pack()),)
        for n, text in enumerate(pack.recall.grounds.values(), 1)
    )
    text = t(
        "Recall of {name} ({village}): on which ground (ganzhou Art.22)?",
        name=escape(found.name),
        village=escape(found.village),
    )
    return Reply([Text(text, buttons, remember=RecallFlow.message)])


async def ground_pressed(req: Request) -> Reply:
    t, pressed = req.t, req.press(RecallGround)
    if not await req.pressed_on(RecallFlow.message or ""):
        # A proposal left for something else: its ground buttons do not start it again.
        return Reply.toast(t(MESSAGE_EXPIRED), alert=True)
    grounds = _grounds(req.pack)
    if not 0 <= pressed.ground < len(grounds):
        return Reply.toast(error_text(t, DomainError("recall_ground_unknown")), alert=True)
    await req.state.set_state(RecallFlow.note)
    await req.state.update_data(cadre_id=pressed.cadre_id, ground=grounds[pressed.ground])
    return Reply.text(t("Write the note for the proposal: the facts behind it."))


async def typed_note(req: Request) -> Reply:
    data = await req.state.get_data()
    await req.state.clear()
    return await _propose(req, int(data["cadre_id"]), str(data["ground"]), req.event.text)


# Approving a recall ends a cadre's posting: asked first ("sure" does it, "keep" does not).
ASK_APPROVE = N_("Approve recall proposal #{id}? The cadre is recalled and the unit told.")
KEPT = N_("Not approved yet; recall proposal #{id} still waits for the decision.")
YES = N_("Yes, go ahead")


def _ask(t: Translator, recall_id: int) -> Reply:
    sure, keep = RecallCb("sure", recall_id), RecallCb("keep", recall_id)
    buttons = ((Button(t(YES), sure.pack()), Button(t("Cancel"), keep.pack())),)
    return Reply([Toast(), Text(t(ASK_APPROVE, id=recall_id), buttons)])


async def decision_pressed(req: Request) -> Reply:
    t, pressed = req.t, req.press(RecallCb)
    pack, recall_id, identity = req.pack, pressed.recall_id, req.identity
    if pressed.action == "ok" and identity is not None:
        return _ask(t, recall_id)
    if pressed.action == "keep":
        return Reply([Toast(), Edit(t(KEPT, id=recall_id))])
    try:
        if identity is None:
            raise DomainError("recall_not_decider")
        if pressed.action == "done":
            step = await recall.replaced(
                req.session, pack, recall_id, identity.person_id, req.now()
            )
            verdict = t("Replacement reported by {name}.", name=escape(step.by))
        else:
            # The decision, post and state, is re-checked by the service on "sure".
            approve = pressed.action in ("ok", "sure")
            step = await recall.decide(
                req.session, pack, recall_id, identity.person_id, approve=approve, note="",
                now=req.now(),
            )  # fmt: skip
            approved = step.recall.state.value in ("approved", "replaced")
            verdict = (
                t("Recall approved by {name}.", name=escape(step.by))
                if approved
                else t("Recall not approved by {name}.", name=escape(step.by))
            )
    except DomainError as exc:
        return Reply.toast(error_text(t, exc), alert=True)
    if not step.done_now:
        verdict = t("Already decided: {verdict}", verdict=verdict)
    reply = Reply([Toast(verdict, alert=not step.done_now)])
    origin = req.event.origin
    if origin is not None:
        reply.add(Edit(f"{origin.text}\n\n<b>{verdict}</b>"))
    return reply


def routes() -> Router:
    router = Router("recall")
    approvers = {Role.APPROVER}
    # No role filter on the decision buttons: the service refuses anyone without the post.
    router.press(RecallCb, decision_pressed, registered=False)
    router.press(RecallGround, ground_pressed, roles=approvers)
    router.command("recall", recall_command, roles=approvers)
    router.typed(RecallFlow.note, typed_note, roles=approvers)
    return router
