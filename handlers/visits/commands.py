"""/visit (one line, or the guided form in handlers/visits/flow.py) and /mine, for cadres,
in private chats only: household names never go to a group."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.core.conversation import Conversation
from handlers.core.request import Request
from handlers.core.routing import Router
from handlers.core.views import Edit, Keyboard, Reply, Toast
from handlers.visits import card, flow, inputs, risk
from handlers.visits.card import VisitCb
from handlers.visits.flow import EXPIRED, VisitFlow
from handlers.visits.views import (
    choices_text,
    error_text,
    my_households_text,
    saved_text,
)
from locales import Translator
from models.enums import Role, VisitMode
from services.errors import DomainError
from services.periods import Period
from services.policy import Cadence, PolicyPack
from services.visits.my_households import my_households
from services.visits.problem_words import named_problems
from services.visits.quick_visits import QuickVisit, answered, log_quick, quick_visit
from services.visits.records import CHECKS, Check, visited_today
from services.visits.targets import visit_target


def _again(t: Translator) -> Keyboard:
    """A one-line visit to a household already visited today: save it too, or not."""
    return card.again_keyboard(t, ("d", 1), ("d", 0))


def _quick_data(quick: QuickVisit, photos: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "mode": quick.mode.value,
        "notes": quick.notes,
        "checks": {k: {"ok": c.ok, "note": c.note} for k, c in quick.checks.items()},
        "risk_note": quick.risk_note,
        "photos": photos,
    }


def _quick_of(data: dict[str, Any]) -> QuickVisit:
    return QuickVisit(
        mode=VisitMode(data["mode"]),
        notes=data["notes"],
        checks={k: Check(ok=c["ok"], note=c["note"]) for k, c in data["checks"].items()},
        risk_note=data["risk_note"],
    )


async def one_line(
    state: Conversation, t: Translator, session: AsyncSession, cadre_id: int,
    pack: PolicyPack, now: datetime, zone: ZoneInfo, args: str, photos: list[dict[str, Any]],
) -> tuple[str, Keyboard]:  # fmt: skip
    """``/visit <name or code> [mode] [notes]``: saved at once when the household is sure,
    else the likely households as buttons (the visit waits in the conversation)."""
    try:
        outcome = await quick_visit(
            session, args, cadre_id=cadre_id, pack=pack, now=now,
            photos=[card.photo_in(p) for p in photos], zone=zone,
        )  # fmt: skip
    except DomainError as exc:
        return error_text(t, exc), ()
    if outcome.saved is not None:
        await state.clear()
        return saved_text(t, outcome.saved, zone), ()
    if outcome.household_id is not None and outcome.quick is not None:
        data = _quick_data(outcome.quick, photos) | {"household_id": outcome.household_id}
        await flow.keep(state, VisitFlow.quick, quick=data)
        if outcome.again and outcome.choices and outcome.choices.matches:
            match = outcome.choices.matches[0]
            return card.again_text(t, match.head_name, match.code), _again(t)
        return card.which_item_text(t, outcome.quick.notes), card.which_item_keyboard(
            t, outcome.named, "p"
        )
    matches = outcome.choices.matches if outcome.choices else ()
    if not matches or outcome.quick is None:
        await state.clear()
        return choices_text(t, outcome.query, ()), ()
    await flow.keep(state, VisitFlow.quick, quick=_quick_data(outcome.quick, photos))
    return choices_text(t, outcome.query, matches), card.match_keyboard(matches, "q")


async def visit_command(req: Request) -> Reply:
    """``/visit`` opens the guided form; ``/visit <name or code> [mode] [notes]`` saves at
    once (a photo may carry it as its caption, and is saved with it)."""
    args = req.event.args.strip()
    photo = inputs.photo_of(req.event.photo, req.now())
    if not args:
        if photo is not None:
            return Reply.text(error_text(req.t, DomainError("visit_name_missing")))
        return await flow.start(req)
    text, keyboard = await one_line(
        req.state, req.t, req.session, req.cadre_id, req.pack, req.now(), req.zone, args,
        [photo] if photo else [],
    )  # fmt: skip
    return Reply.text(text, keyboard)


async def quick_picked(req: Request, household_id: int) -> Reply:
    """The household of a one-line visit, picked from the choices."""
    t, state = req.t, req.state
    data = (await state.get_data()).get("quick")
    if req.me.cadre is None or data is None or await req.current_state() != VisitFlow.quick.state:
        return Reply.toast(t(EXPIRED), alert=True)
    named = named_problems(data["notes"])
    if named:
        await flow.keep(state, VisitFlow.quick, quick=data | {"household_id": household_id})
        keyboard = card.which_item_keyboard(t, named, "p")
        return Reply([Edit(card.which_item_text(t, data["notes"]), keyboard)])
    return await _save_quick(req, household_id, _quick_of(data), data["photos"])


async def quick_answered(req: Request, value: int) -> Reply:
    """Which item the one-line visit's notes concern (one past the last: all fine)."""
    t = req.t
    data = (await req.state.get_data()).get("quick")
    if (
        req.me.cadre is None
        or data is None
        or data.get("household_id") is None
        or await req.current_state() != VisitFlow.quick.state
        or not 0 <= value <= len(CHECKS)
    ):
        return Reply.toast(t(EXPIRED), alert=True)
    item = CHECKS[value] if value < len(CHECKS) else None
    quick = answered(_quick_of(data), item)
    return await _save_quick(req, data["household_id"], quick, data["photos"])


async def quick_again(req: Request, value: int) -> Reply:
    """Save (1) or drop (0) a one-line visit to a household already visited today."""
    t = req.t
    data = (await req.state.get_data()).get("quick")
    if (
        req.me.cadre is None
        or data is None
        or data.get("household_id") is None
        or await req.current_state() != VisitFlow.quick.state
    ):
        return Reply.toast(t(EXPIRED), alert=True)
    if value != 1:
        await req.state.clear()
        return Reply([Edit(t("Visit not saved."))])
    return await _save_quick(req, data["household_id"], _quick_of(data), data["photos"], again=True)


async def _save_quick(
    req: Request,
    household_id: int,
    quick: QuickVisit,
    photos: list[dict[str, Any]],
    *,
    again: bool = False,
) -> Reply:
    t = req.t
    if not again and await visited_today(
        req.session, req.cadre_id, household_id, now=req.now(), zone=req.zone
    ):
        data = _quick_data(quick, photos) | {"household_id": household_id}
        await flow.keep(req.state, VisitFlow.quick, quick=data)
        try:
            target = await visit_target(req.session, req.cadre_id, household_id)
        except DomainError as exc:
            return Reply.toast(error_text(t, exc), alert=True)
        return Reply([Edit(card.again_text(t, target.head_name, target.code), _again(t))])
    try:
        saved = await log_quick(
            req.session, cadre_id=req.cadre_id, household_id=household_id, quick=quick,
            pack=req.pack, now=req.now(), photos=[card.photo_in(p) for p in photos],
            zone=req.zone,
        )  # fmt: skip
    except DomainError as exc:
        return Reply.toast(error_text(t, exc), alert=True)
    await req.state.clear()
    return Reply([Toast(t("Saved.")), Edit(saved_text(t, saved, req.zone))])


async def pressed(req: Request) -> Reply:
    payload = req.press(VisitCb)
    if payload.a == "h":
        return await flow.pick_household(req, payload.v)
    if payload.a == "q":
        return await quick_picked(req, payload.v)
    if payload.a == "p":
        return await quick_answered(req, payload.v)
    if payload.a == "d":
        return await quick_again(req, payload.v)
    return await flow.card_pressed(req, payload)


async def households(
    t: Translator, session: AsyncSession, cadre_id: int, pack: PolicyPack, now: datetime,
    zone: ZoneInfo,
) -> tuple[str, Keyboard]:  # fmt: skip
    """/mine: the cadre's paired households this quarter, each a button to log a visit."""
    rows = await my_households(session, cadre_id, pack=pack, now=now, zone=zone)
    quarter = Period.of(Cadence.QUARTERLY, now, zone)
    text = my_households_text(t, rows, quarter, quarter.days_left(now, zone), zone)
    items = [(r.household_id, "📝 " + r.head_name, r.code) for r in rows]
    return text, card.pick_keyboard(items, "h") if items else ()


async def mine(req: Request) -> Reply:
    text, keyboard = await households(
        req.t, req.session, req.cadre_id, req.pack, req.now(), req.zone
    )
    return Reply.text(text, keyboard)


async def stray_photo(req: Request) -> Reply:
    """A photo outside the form and without a /visit caption: a photo only ever belongs to a
    visit, so say how to attach it rather than "not understood"."""
    return Reply.text(
        req.t(
            "Photo received, but which visit is it for? Send it again with /visit and the "
            "household's name as its caption (e.g. /visit 张伟明 入户), or open the form with "
            "/visit first and send the photo there."
        )
    )


async def not_a_cadre(req: Request) -> Reply:
    return Reply.text(error_text(req.t, DomainError("visit_not_cadre")))


async def not_a_cadre_press(req: Request) -> Reply:
    return Reply.toast(error_text(req.t, DomainError("visit_not_cadre")), alert=True)


def routes() -> Router:
    router = Router("visits")
    cadres = {Role.CADRE}
    router.command("visit", visit_command, roles=cadres)
    router.command("mine", mine, roles=cadres)
    router.command("visit", not_a_cadre)
    router.command("mine", not_a_cadre)
    router.press(VisitCb, pressed, roles=cadres)
    router.press(VisitCb, not_a_cadre_press)
    router.press(risk.RiskCb, risk.acknowledged, registered=False)
    router.typed(VisitFlow.household, inputs.typed_household, roles=cadres)
    router.input(VisitFlow.card, inputs.card_input, roles=cadres)
    router.photo(stray_photo, roles=cadres)
    return router
