"""A reply that could not be sent after the update's commit, handed to the outbox.

Both channels' bridges send their replies after the commit; one that fails then (the
messenger down, throttled, a timeout) is queued here as a ``reply`` row on the event's
channel and retried by that channel's relay, so the person hears what the data says.
"""

from __future__ import annotations

from datetime import datetime

from handlers.core.events import Incoming
from handlers.core.views import Document, Edit, Menu, Text, Toast, View
from models.db import UnitOfWork
from services.messaging import outbox


async def queue_reply(
    uow: UnitOfWork, now: datetime, event: Incoming, view: View, key: str
) -> None:
    if isinstance(view, Menu):
        return  # set again at the next start
    if isinstance(view, Edit):
        if view.text is None:
            return  # only the buttons were to change; the press is refused server-side anyway
        view = Text(view.text, view.buttons)
    if isinstance(view, Toast):
        view = Text(view.text)
    text = view.caption if isinstance(view, Document) else view.text
    buttons = (
        []
        if isinstance(view, Document)
        else [[[b.label, b.payload] for b in row] for row in view.buttons]
    )
    await outbox.enqueue(
        uow.session,
        key=key,
        chat_id=event.chat_id,
        template="reply",
        params={"text": text, "buttons": buttons},
        now=now,
        is_group=not event.private,
        document=(view.name, view.data) if isinstance(view, Document) else None,
        channel=event.channel,
    )
    await uow.commit()
