"""A former cadre (term over, or recalled) with no other post: every message gets one line
saying their term is over, every press a toast with it. /help, /whoami and /lang still
answer (they come before this in the order); nothing else of the bot is theirs."""

from __future__ import annotations

from html import escape

from handlers.core.request import Request
from handlers.core.routing import Router, Skip
from handlers.core.views import Reply


def _line(req: Request) -> str:
    ended = req.me.ended
    assert ended is not None
    if ended.recalled:
        return req.t(
            "You have been recalled from {village}: cadre commands are no longer available.",
            village=escape(ended.village),
        )
    return req.t(
        "Your term in {village} ended on {end}: cadre commands are no longer available.",
        village=escape(ended.village),
        end=ended.term_end.isoformat(),
    )


async def term_over(req: Request) -> Reply:
    if not req.me.out_of_post:
        raise Skip
    return Reply.text(_line(req))


async def term_over_press(req: Request) -> Reply:
    if not req.me.out_of_post:
        raise Skip
    return Reply.toast(_line(req), alert=True)


def routes() -> Router:
    router = Router("term_over")
    router.anything(term_over)
    router.anything(term_over_press, press=True, chat=None)  # a toast: private
    return router
