"""已知悉/跟进 on a risk notice: the township acknowledges the flag, and the sweep stops
chasing it (services/visits/risk_flags.py). The service decides who may press."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from handlers.core.payloads import Payload
from handlers.core.request import Request
from handlers.core.views import Button, Edit, Keyboard, Reply, Toast
from handlers.visits.views import error_text
from locales import Translator
from services.errors import DomainError
from services.visits.risk_flags import acknowledge


@dataclass(frozen=True)
class RiskCb(Payload, prefix="vrk"):
    """The visit whose risk flag is acknowledged."""

    visit_id: int


def ack_keyboard(t: Translator, visit_id: int) -> Keyboard:
    return ((Button(t("Noted, following up"), RiskCb(visit_id=visit_id).pack()),),)


async def acknowledged(req: Request) -> Reply:
    t, identity = req.t, req.identity
    press = req.press(RiskCb)
    if identity is None:
        return Reply.toast(error_text(t, DomainError("visit_risk_not_township")), alert=True)
    try:
        acked = await acknowledge(
            req.session, press.visit_id, identity.person_id, req.now(), req.zone
        )
    except DomainError as exc:
        return Reply.toast(error_text(t, exc), alert=True)
    if acked.done_now:
        note = t("Acknowledged: the reminders stop. Please follow up with the household.")
    else:
        note = t("Already acknowledged by {name}.", name=escape(acked.by))
    # The notice keeps its text; only the button goes, with the answer as a toast.
    return Reply([Toast(note, alert=not acked.done_now), Edit(None, ())])
