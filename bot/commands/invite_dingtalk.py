"""``zhucun invite PHONE --by-mobile`` and ``zhucun invite --all --by-mobile``: bind people
to their DingTalk accounts by the mobile number in the organisation's contacts (the app
needs the permission 根据手机号获取成员基本信息, qyapi_get_member_by_mobile).

Every lookup is made before anything is written, and all is written in one transaction:
a refused lookup leaves the database as it was. Phone numbers are never logged.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli_language import t
from bot.commands.base import CliError
from bot.context import AppContext
from services.errors import DomainError

if TYPE_CHECKING:
    from models.tables import Person
    from services.roster.by_mobile import Outcome

PERMISSION = "根据手机号获取成员基本信息 (qyapi_get_member_by_mobile)"


def _names(names: list[str]) -> str:
    return "、".join(names)


def summary(outcome: Outcome) -> str:
    """One line: who was bound, who was already, who not and why."""
    bound = _names(outcome.bound)
    parts = [
        t("bound {n}: {names}", n=len(outcome.bound), names=bound)
        if outcome.bound
        else t("bound {n}", n=0)
    ]
    if outcome.already:
        parts.append(
            t("already bound {n}: {names}", n=len(outcome.already), names=_names(outcome.already))
        )
    if outcome.taken:
        taken = _names(
            [
                t(
                    "{name} (that DingTalk account belongs to {holder})",
                    name=x.name,
                    holder=x.holder,
                )
                for x in outcome.taken
            ]
        )
        parts.append(t("not bound {n}: {names}", n=len(outcome.taken), names=taken))
    if outcome.not_found:
        parts.append(
            t(
                "not in the contacts {n}: {names} (send them 「绑定 <invitation code>」 instead)",
                n=len(outcome.not_found),
                names=_names(outcome.not_found),
            )
        )
    return t("; ").join(parts)


async def invite_by_mobile(args: argparse.Namespace, ctx: AppContext) -> int:
    if bool(args.phone) == bool(args.all):
        raise CliError(t("give either a phone number or --all"))
    if not ctx.settings.dingtalk:
        raise CliError(
            t(
                "--by-mobile looks people up in DingTalk's contacts: set "
                "ZHUCUN_DINGTALK_CLIENT_ID and ZHUCUN_DINGTALK_CLIENT_SECRET"
            )
        )
    import aiohttp

    from bot.dingtalk.api import DingTalkError
    from bot.dingtalk.runtime import build_api
    from services.roster import by_mobile, invites
    from services.roster.accounts import account_of

    api = build_api(ctx.settings)
    try:
        async with await ctx.uow() as uow:
            if args.all:
                people = await invites.unregistered_people(uow.session, by_mobile.DINGTALK)
            else:
                try:
                    people = [await invites.person_by_phone(uow.session, args.phone)]
                except DomainError as exc:
                    raise CliError(t("no one with that phone number is on the roster")) from exc
                person = people[0]
                held = await account_of(uow.session, person.id or 0, by_mobile.DINGTALK)
                if held is not None and not args.rebind:
                    raise CliError(
                        t(
                            "{name} is already registered on DingTalk; add --rebind to bind "
                            "the account found by mobile instead",
                            name=person.name,
                        )
                    )
            found: list[tuple[Person, str | None]] = []
            for person in people:
                mobile = by_mobile.mobile_of(person.phone)
                found.append((person, await api.user_by_mobile(mobile) if mobile else None))
            outcome = await by_mobile.bind_found(uow.session, found, now=ctx.clock.now())
            await uow.commit()
    except DingTalkError as exc:
        if exc.bad_credentials:
            raise CliError(
                t(
                    "DingTalk refused the app's credentials: check ZHUCUN_DINGTALK_CLIENT_ID "
                    "and ZHUCUN_DINGTALK_CLIENT_SECRET; nothing was changed"
                )
            ) from exc
        raise CliError(
            t(
                "DingTalk refused the contacts lookup ({code}: {message}): the app needs the "
                "permission {permission}; nothing was changed",
                code=exc.code,
                message=exc.message,
                permission=PERMISSION,
            )
        ) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise CliError(
            t(
                "DingTalk's API could not be reached ({error}); nothing was changed",
                error=type(exc).__name__,
            )
        ) from exc
    finally:
        await api.close()
    print(summary(outcome))
    return 0
