"""The doctor's checks that ask a messenger, here where its client lives: Telegram's getMe
(the token) and getWebhookInfo (the webhook state), and DingTalk's access token (the app's
client id and secret). No secret or token is ever part of a line; each client is imported
only when its check runs.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from bot.config import DINGTALK_API_URL, Settings
from locales import Translator
from services.operations.checks import Check, fail, ok, warn

TELEGRAM_TIMEOUT = 15.0
DINGTALK_TIMEOUT = 10.0


async def telegram_checks(settings: Settings, t: Translator) -> list[Check]:
    token = settings.token
    if token is None and settings.dingtalk:
        return []  # DingTalk only: there is no Telegram bot to check
    if token is None:
        return [
            warn(
                t("Telegram: token not checked (no token)"),
                t("set ZHUCUN_BOT_TOKEN, then run again"),
            ),
            warn(t("Telegram: webhook state not checked (no token)"), t("set ZHUCUN_BOT_TOKEN")),
        ]
    # aiogram takes a moment to import; only this check needs it.
    from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
    from aiogram.utils.token import TokenValidationError

    from bot.telegram.runtime import build_bot

    host = urlsplit(settings.bot_api_url).hostname or settings.bot_api_url
    try:
        bot = build_bot(token, settings.bot_api_url)
    except TokenValidationError:
        return [fail(t("Telegram: the token is malformed"), t("copy it again from @BotFather"))]
    try:
        async with asyncio.timeout(TELEGRAM_TIMEOUT):
            me = await bot.get_me()
            info = await bot.get_webhook_info()
    except TelegramUnauthorizedError:
        return [
            fail(
                t("Telegram refused the token (401 Unauthorized)"),
                t("copy the current token from @BotFather (/mybots → API Token)"),
            )
        ]
    except (TelegramAPIError, OSError, TimeoutError) as exc:
        return [
            fail(
                t("Telegram: cannot reach {host} ({error})", host=host, error=type(exc).__name__),
                t("check the network, a proxy, or ZHUCUN_BOT_API_URL"),
            )
        ]
    finally:
        await bot.session.close()
    checks = [
        ok(t("Telegram: the token is valid: @{username} (id {id})", username=me.username, id=me.id))
    ]
    if settings.bot_username and settings.bot_username.lstrip("@") != me.username:
        checks.append(
            warn(
                t(
                    "ZHUCUN_BOT_USERNAME is {configured} but the bot is @{username}",
                    configured=settings.bot_username,
                    username=me.username,
                ),
                t(
                    "fix ZHUCUN_BOT_USERNAME (or leave it unset to ask Telegram), or invitation "
                    "links point to another bot"
                ),
            )
        )
    checks.append(
        _webhook(settings, info.url, info.pending_update_count, info.last_error_message, t)
    )
    return checks


async def dingtalk_checks(settings: Settings, t: Translator) -> list[Check]:
    """Ask DingTalk for an access token with the configured client id and secret. Nothing
    when DingTalk is not configured (a half-configured one is a local check's)."""
    secret = settings.dingtalk_secret
    client_id = settings.dingtalk_client_id
    if not (client_id and secret):
        return []
    # Imported here, as aiogram is above: only this check needs aiohttp.
    import aiohttp

    from bot.dingtalk.api import DingTalkApi, DingTalkError

    url = settings.dingtalk_api_url.rstrip("/")
    api = DingTalkApi(
        client_id=client_id,
        client_secret=secret,
        robot_code=settings.dingtalk_robot,
        api_url=url,
        oapi_url=settings.dingtalk_oapi,
    )
    try:
        async with asyncio.timeout(DINGTALK_TIMEOUT):
            await api.token()
    except DingTalkError as exc:
        if exc.bad_credentials:
            return [
                fail(
                    t(
                        "DingTalk refused the client id or secret "
                        "(ZHUCUN_DINGTALK_CLIENT_ID / ZHUCUN_DINGTALK_CLIENT_SECRET)"
                    ),
                    t(
                        "copy both again from the app's 凭证与基础信息 page in the DingTalk "
                        "developer console"
                    ),
                )
            ]
        return [
            fail(
                t(
                    "DingTalk refused the access token request ({status} {code})",
                    status=exc.status,
                    code=exc.code,
                ),
                t("is the app published and enabled? See DingTalk's error code"),
            )
        ]
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return [
            fail(
                t(
                    "DingTalk's API at {url} could not be reached ({error})",
                    url=url,
                    error=type(exc).__name__,
                ),
                t("check the network (outbound HTTPS to it) or ZHUCUN_DINGTALK_API_URL"),
            )
        ]
    except (KeyError, ValueError):
        return [
            fail(
                t("DingTalk's API at {url} answered without an access token", url=url),
                t(
                    "is ZHUCUN_DINGTALK_API_URL DingTalk's API? (default {default})",
                    default=DINGTALK_API_URL,
                ),
            )
        ]
    finally:
        await api.close()
    return [ok(t("DingTalk: the app's credentials are valid ({client_id})", client_id=client_id))]


def _webhook(settings: Settings, url: str, pending: int, error: str | None, t: Translator) -> Check:
    where = (urlsplit(url).hostname or "?") if url else ""
    if error:
        return warn(
            t(
                "Telegram: the webhook at {where} reports an error: {error}",
                where=where,
                error=error,
            ),
            t("check that ZHUCUN_WEBHOOK_URL is reachable from the internet over HTTPS"),
        )
    if url and settings.webhook_url is None:
        return warn(
            t(
                "Telegram: a webhook is set (at {where}) but zhucun is configured to poll",
                where=where,
            ),
            t(
                "zhucun run removes it when it starts; if another program uses this bot, stop "
                "it first: two programs cannot share one bot"
            ),
        )
    if not url and settings.webhook_url is not None:
        return warn(
            t("Telegram: no webhook registered yet although ZHUCUN_WEBHOOK_URL is set"),
            t("zhucun run registers it when it starts"),
        )
    mode = t("webhook at {where}", where=where) if url else t("no webhook, the bot polls")
    return ok(t("Telegram: {mode}; {pending} update(s) waiting", mode=mode, pending=pending))
