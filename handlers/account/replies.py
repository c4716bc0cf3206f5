"""Replies to the bot's messages that no feature takes: said what to do instead of "not
understood", for messages that are decided some other way than by replying."""

from __future__ import annotations

from handlers.core.request import Request
from handlers.core.routing import Router, Skip
from handlers.core.views import Reply
from handlers.presence.payloads import SheetCb
from handlers.supervision.payloads import RecallCb
from locales import N_
from services.messaging import outbox

SHEET = N_(
    "Replying does not confirm an attendance sheet. Check it, correct a day with /fix if "
    "needed, then press its button 'Confirm the sheet' (or send /sheet to open it again)."
)
RECALL = N_(
    "Replying does not decide a recall proposal: press 'Approve recall' or 'Do not recall' on it."
)


async def replied_to_other(req: Request) -> Reply:
    reply_to = req.event.reply_to
    assert reply_to is not None
    # A card carries its buttons; a sheet sent by the relay is also known, once confirmed
    # and without them, by what its message was sent for.
    cards = [RecallCb.unpack(p) for p in reply_to.payloads]
    if any(card is not None and card.action in ("ok", "no") for card in cards):
        return Reply.text(req.t(RECALL))
    sheet = any(SheetCb.matches(p) for p in reply_to.payloads)
    if not sheet:
        ref = await outbox.ref_of_message(req.session, req.event.chat_id, reply_to.message_id)
        sheet = ref is not None and ref.startswith("sheet:")
    if not sheet:
        raise Skip
    return Reply.text(req.t(SHEET))


def routes() -> Router:
    router = Router("replies")
    router.reply(replied_to_other)
    return router
