"""The messages that drive guided flows (``Steps.message``): which one a press may come
from. A flow's buttons act only on the message it sent last, and stop when the person
starts something else, so an abandoned draft's 提交 cannot act on what they do now."""

from __future__ import annotations

from handlers.core.conversation import FORGOTTEN, flow_messages
from handlers.core.request import Request
from handlers.core.views import SENT_IDS, Reply, Text, sent_ids


async def flow_messages_before(req: Request) -> set[str]:
    """The flow messages the private conversation remembers before the event."""
    if not req.event.private:
        return set()
    return set(flow_messages() & sent_ids(await req.state.get_data()).keys())


async def note_flow_messages(req: Request, before: set[str], reply: Reply) -> None:
    """A flow message sent anew is unknown until the channel records its id (a reply the
    relay sends later never is: the flow then goes by its state alone). A command starts
    something else: the flow messages it did not send stop taking presses, even where the
    command cleared the conversation (a draft's 提交 pressed later answers that the message
    has expired)."""
    sent = {v.remember for v in reply if isinstance(v, Text) and v.remember} & flow_messages()
    forgotten = before - sent if req.event.command is not None else set()
    if not (sent or forgotten):
        return
    remembered = sent_ids(await req.state.get_data())
    updated = {k: v for k, v in remembered.items() if k not in sent} | dict.fromkeys(
        forgotten, FORGOTTEN
    )
    if updated != remembered:
        await req.state.update_data(**{SENT_IDS: updated})
