"""/start: redeem an invitation link, or say hello again."""

from __future__ import annotations

from handlers.account.menu import menu_hash, menu_view
from handlers.account.profile import greeting
from handlers.account.strangers import refusal
from handlers.core.request import Request
from handlers.core.routing import Router
from handlers.core.views import Reply, Text
from locales import N_, Catalogs, normalize_language
from services.errors import DomainError
from services.roster import identity as identities
from services.roster import invites

INVITE_ERRORS = {
    "invite_invalid": N_(
        "This invitation link is not valid. Please ask your county office for a new one."
    ),
    "invite_used": N_(
        "This invitation link has already been used. Each link works once; "
        "please ask your county office for a new one."
    ),
    "invite_expired": N_(
        "This invitation link has expired (links last 7 days). "
        "Please ask your county office for a new one."
    ),
    "account_taken": N_("This account is already registered to someone else on the roster."),
}


async def start(req: Request) -> Reply:
    """``/start <token>`` from an invitation link binds this account; a plain ``/start``
    says hello again (or, to a stranger, who this serves)."""
    if not req.event.args:
        return await _start_plain(req)
    t, event = req.t, req.event
    try:
        person = await invites.redeem(
            req.session,
            event.args,
            channel=event.channel,
            external_id=str(event.user_id),
            chat_id=event.chat_id,  # the private chat /start came in
            language=normalize_language(event.language_code),
            now=req.now(),
        )
    except DomainError as exc:
        return Reply.text(t(INVITE_ERRORS[exc.code]))
    assert person.id is not None
    identity = await identities.identity_of(req.session, person.id)
    their_t = _catalogs(req).get(identity.language)
    await identities.record_menu(
        req.session, person.id, menu_hash(identity.roles, their_t.language)
    )
    return Reply([menu_view(identity.roles, their_t), Text(greeting(identity, their_t))])


async def _start_plain(req: Request) -> Reply:
    if req.identity is None:
        return Reply.text(refusal(req.t, _catalogs(req)))
    return Reply.text(greeting(req.identity, req.t))


def _catalogs(req: Request) -> Catalogs:
    assert req.catalogs is not None, "the channel hands every language over"
    return req.catalogs


def routes() -> Router:
    router = Router("registration")
    router.command("start", start, registered=False)
    return router
