"""What a cadre sends while the /visit form is open: a typed household (the first step), and
notes, photos and a location into the card. Each input redraws the card below it; the old
card loses its buttons, so only the newest one is pressed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.core.events import Photo
from handlers.core.request import Request
from handlers.core.views import Edit, Reply, Text, sent_ids
from handlers.visits.card import card_keyboard, card_text, match_keyboard, new_draft
from handlers.visits.flow import CARD, EXPIRED, VisitFlow, add_input, keep
from handlers.visits.views import choices_text
from services.visits.targets import resolve_household


def photo_of(photo: Photo | None, now: datetime) -> dict[str, Any] | None:
    """A photo as the draft keeps it (and the visit stores it)."""
    if photo is None:
        return None
    return {
        "file_id": photo.file_id,
        "file_unique_id": photo.unique_id,
        "file_size": photo.size,
        "width": photo.width,
        "height": photo.height,
        "received_at": now.isoformat(),
    }


async def send_card(req: Request, draft: dict[str, Any]) -> Reply:
    """A fresh card below the cadre's last input; the old card loses its buttons."""
    old = sent_ids(await req.state.get_data()).get(CARD) or draft.get("card_id")
    await keep(req.state, VisitFlow.card, draft=draft)
    reply = Reply()
    if old:
        reply.add(Edit(None, (), message_id=old))
    t = req.t
    return reply.add(Text(card_text(t, draft), card_keyboard(t, draft), remember=CARD))


async def typed_household(req: Request) -> Reply:
    text = req.event.text
    resolved = await resolve_household(req.session, req.cadre_id, text)
    if resolved.target is not None:
        return await send_card(req, new_draft(resolved.target))
    matches = resolved.result.matches
    keyboard = match_keyboard(matches, "h") if matches else ()
    return Reply.text(choices_text(req.t, text, matches), keyboard)


async def card_input(req: Request) -> Reply:
    """Text, a photo or a location while the card is open."""
    t, event = req.t, req.event
    draft = dict((await req.state.get_data()).get("draft") or {})
    if not draft:
        await req.state.clear()
        return Reply.text(t(EXPIRED))
    location = event.location
    refused = add_input(
        t,
        draft,
        photo=photo_of(event.photo, req.now()),
        location=(location.latitude, location.longitude) if location is not None else None,
        text=event.text or None,
    )
    if refused is not None:
        return Reply.text(refused)
    return await send_card(req, draft)
