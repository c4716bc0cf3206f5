"""People not on the roster: one polite refusal, nothing else."""

from __future__ import annotations

from handlers.core.request import Request
from handlers.core.routing import Router
from handlers.core.views import Reply
from locales import N_, Catalogs, Translator

REFUSAL = N_(
    "Sorry, this assistant serves registered village-resident cadres and their "
    "supervisors only. If you should have access, ask your county office for an "
    "invitation link."
)


def refusal(t: Translator, catalogs: Catalogs) -> str:
    """In the person's language first, then the other one: we do not know them yet."""
    other = catalogs.get("en" if t.language == "zh" else "zh")
    return f"{t(REFUSAL)}\n\n{other(REFUSAL)}"


async def refuse_message(req: Request) -> Reply:
    assert req.catalogs is not None
    return Reply.text(refusal(req.t, req.catalogs))


async def refuse_press(req: Request) -> Reply:
    return Reply.toast(req.t(REFUSAL), alert=True)


def routes() -> Router:
    """Last in the order: whatever no feature took from someone not on the roster."""
    router = Router("strangers")
    router.anything(refuse_message, registered=False)
    router.anything(refuse_press, registered=False, press=True, chat=None)  # a toast: private
    return router
