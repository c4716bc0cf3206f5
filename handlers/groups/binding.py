"""/bind and /unbind inside a group; the bot leaving a group unbinds it; a group upgraded
to a supergroup keeps its binding."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from handlers.core.events import ChatKind, Membership
from handlers.core.payloads import Payload
from handlers.core.request import Request
from handlers.core.routing import Router
from handlers.core.views import Button, Edit, Reply, Toast
from locales import N_
from models.enums import GroupScope
from services.errors import DomainError
from services.messaging import groups

SCOPE_WORDS = {
    "village": GroupScope.VILLAGE,
    "村": GroupScope.VILLAGE,
    "team": GroupScope.VILLAGE,
    "township": GroupScope.TOWNSHIP,
    "乡镇": GroupScope.TOWNSHIP,
    "镇": GroupScope.TOWNSHIP,
    "county": GroupScope.COUNTY,
    "县": GroupScope.COUNTY,
}
SCOPE_NAMES = {
    GroupScope.VILLAGE: N_("village team"),
    GroupScope.TOWNSHIP: N_("township"),
    GroupScope.COUNTY: N_("county"),
}
NOT_ALLOWED = N_(
    "Only the team leader or the village party organisation (for a village), a township "
    "approver (for a township) or a county approver (for a county) can do that."
)
ASK_UNBIND = N_("Unbind this group? It will get no more notices.")


@dataclass(frozen=True)
class GroupUnbind(Payload, prefix="gub"):
    """The answer to "unbind this group?" (the group is the chat the button sits in)."""

    yes: bool


ERRORS = {
    "group_bind_not_allowed": NOT_ALLOWED,
    "group_bind_ambiguous": N_(
        "You cover several: {choices}. Add the name, e.g. /bind township 江口镇."
    ),
}


async def bind(req: Request) -> Reply:
    t, identity, event = req.t, req.identity, req.event
    words = event.args.split(maxsplit=1)
    scope = SCOPE_WORDS.get(words[0].lower()) if words else None
    if scope is None:
        return Reply.text(t("Bind this group with /bind village, /bind township or /bind county."))
    if identity is None:
        return Reply.text(t(NOT_ALLOWED))
    try:
        place = await groups.bind(
            req.session,
            identity,
            channel=event.channel,
            chat_id=event.chat_id,
            title=event.chat_title,
            scope=scope,
            name=words[1] if len(words) > 1 else "",
            now=req.now(),
        )
    except DomainError as exc:
        choices = t(", ").join(exc.params.get("choices", []))
        return Reply.text(escape(t(ERRORS[exc.code], choices=choices)))
    text = t(
        "This group is now the {scope} group of {place}. It will get notices and the monthly "
        "dispatch check here, with counts only: no household details, no reasons for leave.",
        scope=t(SCOPE_NAMES[scope]),
        place=escape(place.name),
    )
    if not req.channel.sees_all_group_messages:
        text += "\n\n" + t(
            "Privacy mode is on, so in groups I only see commands and replies to my messages. "
            "For anything personal, write to me in a private chat."
        )
    return Reply.text(text)


async def unbind(req: Request) -> Reply:
    """Asked first: an unbound group silently stops getting its notices."""
    t, identity = req.t, req.identity
    if identity is None:
        return Reply.text(t(NOT_ALLOWED))
    event = req.event
    try:
        bound = await groups.may_unbind(
            req.session, identity, channel=event.channel, chat_id=event.chat_id
        )
    except DomainError as exc:
        return Reply.text(t(ERRORS[exc.code]))
    if not bound:
        return Reply.text(t("This group is not bound."))
    yes, no = GroupUnbind(yes=True).pack(), GroupUnbind(yes=False).pack()
    buttons = ((Button(t("Yes, go ahead"), yes), Button(t("Cancel"), no)),)
    return Reply.text(t(ASK_UNBIND), buttons)


async def unbind_answered(req: Request) -> Reply:
    t, identity = req.t, req.identity
    if not req.press(GroupUnbind).yes:
        return Reply([Toast(), Edit(t("Not unbound; this group stays bound."))])
    if identity is None:
        return Reply.toast(t(NOT_ALLOWED), alert=True)
    # Re-checked now: the presser may unbind it (anyone in the group can press), and it is
    # still bound.
    try:
        removed = await groups.unbind(
            req.session,
            identity,
            channel=req.event.channel,
            chat_id=req.event.chat_id,
            now=req.now(),
        )
    except DomainError as exc:
        return Reply.toast(t(ERRORS[exc.code]), alert=True)
    if not removed:
        return Reply([Toast(), Edit(t("This group is not bound."))])
    done = t("This group is no longer bound; it will get no more notices.")
    return Reply([Toast(), Edit(done)])


async def left_group(req: Request) -> Reply:
    if req.event.membership is Membership.GONE:
        await groups.unbind(
            req.session, None, channel=req.event.channel, chat_id=req.event.chat_id, now=req.now()
        )
    return Reply()


async def became_supergroup(req: Request) -> Reply:
    """Telegram says so twice: in the old group and in the new supergroup; whichever comes
    first moves the binding."""
    new = req.event.migrated_to
    assert new is not None
    await groups.follow_migration(
        req.session,
        channel=req.event.channel,
        old_chat_id=req.event.chat_id,
        new_chat_id=new,
        now=req.now(),
    )
    return Reply()


async def bind_in_private(req: Request) -> Reply:
    return Reply.text(req.t("Use /bind inside the group you want to bind."))


def routes() -> Router:
    router = Router("groups")
    # Anyone may ask; the service decides who may bind (and says who could).
    router.command("bind", bind, chat=ChatKind.GROUP, registered=False)
    router.command("unbind", unbind, chat=ChatKind.GROUP, registered=False)
    router.press(GroupUnbind, unbind_answered, registered=False)
    router.command("bind", bind_in_private, registered=False)
    router.command("unbind", bind_in_private, registered=False)
    router.membership(left_group, chat=ChatKind.GROUP)
    router.migration(became_supergroup)
    return router
