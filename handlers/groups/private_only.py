"""A person's own commands sent in a group: answered once, in the group, with where they
work (a private chat with the bot), and nothing of the person's data."""

from __future__ import annotations

from handlers.account.menu import COMMANDS
from handlers.core.events import ChatKind
from handlers.core.request import Request
from handlers.core.routing import Router, Skip
from handlers.core.views import Reply
from locales import N_

PERSONAL = frozenset(c.command for c in COMMANDS)
ONLY_IN_PRIVATE = N_(
    "/{command} and my other commands work in a private chat with me, not in a group where "
    "everyone reads along. Please open a private chat with me and send it there."
)
# Conversation data (this person in this group): the day they were last told.
TOLD_ON = "_private_hint"


async def command_in_group(req: Request) -> Reply:
    command = req.event.command
    if command is None or command not in PERSONAL:
        raise Skip  # not one of ours (another bot's), or not a command at all
    today = req.today().isoformat()
    # Told once a day per person and group: a group where several try is not flooded.
    if (await req.state.get_data()).get(TOLD_ON) == today:
        return Reply()
    await req.state.update_data(**{TOLD_ON: today})
    return Reply.text(req.t(ONLY_IN_PRIVATE, command=command))


def routes() -> Router:
    router = Router("private_only")
    router.anything(command_in_group, chat=ChatKind.GROUP)
    return router
