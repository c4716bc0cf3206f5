"""``zhucun invite PHONE --by-mobile`` and ``zhucun invite --all --by-mobile``: bind people
to their DingTalk accounts by the mobile number in the organisation's contacts (the app
needs the permission 根据手机号获取成员基本信息, qyapi_get_member_by_mobile).

Every lookup is made before anything is written, and all is written in one transaction:
a refused lookup leaves the database as it was. Phone numbers are never logged.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

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
    """One line, Chinese first like the rest of ``invite``."""
    parts = [
        f"已绑定 {len(outcome.bound)} 人" + (f"：{_names(outcome.bound)}" if outcome.bound else "")
    ]
    if outcome.already:
        parts.append(f"已绑定过 {len(outcome.already)} 人：{_names(outcome.already)}")
    if outcome.taken:
        taken = _names([f"{x.name}（该钉钉账号已属于{x.holder}）" for x in outcome.taken])
        parts.append(f"未绑定 {len(outcome.taken)} 人：{taken}")
    if outcome.not_found:
        parts.append(
            f"通讯录中未找到 {len(outcome.not_found)} 人：{_names(outcome.not_found)}"
            "（可改发「绑定 <邀请码>」）"
        )
    return "；".join(parts)


async def invite_by_mobile(args: argparse.Namespace, ctx: AppContext) -> int:
    if bool(args.phone) == bool(args.all):
        raise CliError("give either a phone number or --all")
    if not ctx.settings.dingtalk:
        raise CliError(
            "--by-mobile looks people up in DingTalk's contacts: set "
            "ZHUCUN_DINGTALK_CLIENT_ID and ZHUCUN_DINGTALK_CLIENT_SECRET"
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
                    raise CliError("no one with that phone number is on the roster") from exc
                person = people[0]
                held = await account_of(uow.session, person.id or 0, by_mobile.DINGTALK)
                if held is not None and not args.rebind:
                    raise CliError(
                        f"{person.name} is already registered on DingTalk; add --rebind to "
                        "bind the account found by mobile instead"
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
                "DingTalk refused the app's credentials: check ZHUCUN_DINGTALK_CLIENT_ID "
                "and ZHUCUN_DINGTALK_CLIENT_SECRET; nothing was changed"
            ) from exc
        raise CliError(
            f"DingTalk refused the contacts lookup ({exc.code}: {exc.message}): the app needs "
            f"the permission {PERMISSION}; nothing was changed"
        ) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise CliError(
            f"DingTalk's API could not be reached ({type(exc).__name__}); nothing was changed"
        ) from exc
    finally:
        await api.close()
    print(summary(outcome))
    return 0
