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
    router.anything(stale_button, press=True)
    return router
