"""Registered people whose message no feature understood."""

from __future__ import annotations

from handlers.core.request import Request
from handlers.core.routing import Router
from handlers.core.views import Reply


async def not_understood(req: Request) -> Reply:
    return Reply.text(req.t("Sorry, I did not understand that. Send /help to see what I can do."))


async def stale_button(req: Request) -> Reply:
    # Every press is answered, even of a button whose feature no longer exists.
    return Reply.toast(req.t("That choice is no longer available."), alert=True)


def routes() -> Router:
    router = Router("fallback")
    router.anything(not_understood)
    # A press is answered in any chat: an old card in a group too (a toast only the
    # presser sees), else their client spins and the group learns nothing either way.
    router.anything(stale_button, press=True, chat=None)
    return router
