"""/help, /whoami, /lang for everyone registered."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.account.menu import commands_for, menu_hash, menu_view
from handlers.account.profile import role_lines
from handlers.core.payloads import Payload
from handlers.core.request import Request
from handlers.core.routing import Router
from handlers.core.views import Button, Edit, Reply, Text
from handlers.labels import ROLES, channel_name
from locales import LANGUAGES, Translator
from services.roster import identity as identities

LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
LANGUAGE_ALIASES = {"zh": "zh", "cn": "zh", "中文": "zh", "汉语": "zh", "en": "en", "english": "en"}


@dataclass(frozen=True)
class LanguageChoice(Payload, prefix="lang"):
    language: str


async def show_help(req: Request) -> Reply:
    t, identity = req.t, req.me
    # The list separator is translated too: "、" in Chinese, ", " in English.
    roles = t(", ").join(t(ROLES[r]) for r in sorted(identity.roles))
    lines = [t("You can use these commands ({roles}):", roles=roles)]
    lines += [f"/{c.command} — {t(c.description)}" for c in commands_for(identity.roles)]
    return Reply.text("\n".join(lines))


async def whoami(req: Request) -> Reply:
    t, identity = req.t, req.me
    lines = [
        t("Name: {name}", name=identity.name),
        t("Phone: {phone}", phone=identity.masked_phone),
        t(
            "{channel} id: {id}",
            channel=channel_name(t, req.event.channel),
            id=identity.accounts.get(req.event.channel),
        ),
        t("Language: {language}", language=LANGUAGE_NAMES[t.language]),
    ]
    lines += role_lines(identity, t)
    return Reply.text("\n".join(lines))


async def _switch(req: Request, language: str) -> Translator:
    """The person's language from now on; their menu follows."""
    assert req.catalogs is not None
    t, identity = req.catalogs.get(language), req.me
    await identities.set_language(req.session, identity.person_id, language, req.now())
    await identities.record_menu(
        req.session, identity.person_id, menu_hash(identity.roles, language)
    )
    return t


async def choose_language(req: Request) -> Reply:
    wanted = LANGUAGE_ALIASES.get(req.event.args.strip().lower())
    if wanted is None:
        buttons = tuple(
            Button(LANGUAGE_NAMES[lang], LanguageChoice(language=lang).pack()) for lang in LANGUAGES
        )
        return Reply.text(req.t("Choose your language:"), (buttons,))
    t = await _switch(req, wanted)
    return Reply([menu_view(req.me.roles, t), Text(t("Language set: English."))])


async def language_pressed(req: Request) -> Reply:
    chosen = req.press(LanguageChoice).language
    if chosen not in LANGUAGES:
        return Reply.toast(req.t("That choice is no longer available."), alert=True)
    # The choice only ever changes the presser's own profile, so any registered person
    # may press it; the menu goes to the presser's private chat.
    t = await _switch(req, chosen)
    return Reply([menu_view(req.me.roles, t), Edit(t("Language set: English."))])


def routes() -> Router:
    router = Router("help")
    router.command("help", show_help)
    router.command("whoami", whoami)
    router.command("lang", choose_language)
    router.press(LanguageChoice, language_pressed)
    return router
