"""Invite → /start <token> → registered and greeted by role; strangers and bad links refused."""

from __future__ import annotations

from datetime import timedelta

from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import Update

from bot.telegram.runtime import build_dispatcher
from locales import Catalogs
from services.roster.identity import identify
from tests.e2e.conftest import Harness

REFUSAL_ZH = "本助手只为已登记的驻村干部"
REFUSAL_EN = "this assistant serves registered village-resident cadres"


async def test_start_up_deletes_webhook_and_sets_stranger_menus(harness: Harness) -> None:
    sandbox = harness.sandbox
    assert sandbox.calls_to("deleteWebhook"), "polling must start with no webhook"
    scopes = {
        (c.params["scope"]["type"], c.params.get("language_code"))
        for c in sandbox.calls_to("setMyCommands")
    }
    assert ("all_private_chats", None) in scopes
    assert ("all_private_chats", "en") in scopes


async def test_invited_cadre_is_registered_and_greeted_by_role(harness: Harness) -> None:
    sandbox = harness.sandbox
    token = await harness.invite("王芳")
    wang = sandbox.user(first_name="芳", language_code="zh-hans")
    sent = await wang.send(f"/start {token}")
    reply = await sandbox.wait_for_message(wang.chat_id, after=sent["message_id"])
    assert "王芳，您好" in reply.text
    assert "赣县区江口镇下寨村第一书记" in reply.text
    assert "赣州市财政局" in reply.text
    # Her own command menu, in her chat.
    menu = await sandbox.wait_for_call(
        "setMyCommands", lambda c: c.params["scope"] == {"type": "chat", "chat_id": wang.id}
    )
    commands = [c["command"] for c in menu.params["commands"]]
    assert {"help", "whoami", "leave", "back"} <= set(commands)
    assert "pending" not in commands  # an approver's command
    assert "team" in commands  # she leads the team
    async with await harness.ctx.uow() as uow:
        who = await identify(uow.session, "telegram", str(wang.id))
    assert who is not None and who.name == "王芳"

    # Registered now: /whoami answers, /help lists by role.
    sent = await wang.send("/whoami")
    reply = await sandbox.wait_for_message(wang.chat_id, after=sent["message_id"])
    assert "姓名：王芳" in reply.text and "138****0001" in reply.text
    sent = await wang.send("/help")
    reply = await sandbox.wait_for_message(wang.chat_id, after=sent["message_id"])
    assert "/whoami" in reply.text and "驻村干部" in reply.text


async def test_approver_is_greeted_as_approver(harness: Harness) -> None:
    sandbox = harness.sandbox
    token = await harness.invite("刘洋")
    liu = sandbox.user(first_name="Liu", language_code="en")
    sent = await liu.send(f"/start {token}")
    reply = await sandbox.wait_for_message(liu.chat_id, after=sent["message_id"])
    # The Telegram client speaks English, so the new person starts in English.
    assert "Hello, 刘洋!" in reply.text
    assert "Approver: township party committee (江口镇)" in reply.text


async def test_stranger_gets_one_polite_refusal(harness: Harness) -> None:
    sandbox = harness.sandbox
    stranger = sandbox.user(first_name="路人")
    for text in ("/start", "你好", "/help", "/leave 12-01 12-03 事假"):
        sent = await stranger.send(text)
        reply = await sandbox.wait_for_message(stranger.chat_id, after=sent["message_id"])
        assert REFUSAL_ZH in reply.text and REFUSAL_EN in reply.text
        await sandbox.drain()
        # One message per attempt, nothing else.
        assert len([m for m in sandbox.sent(stranger) if m.message_id > sent["message_id"]]) == 1


async def test_reused_forged_and_expired_links_are_refused(harness: Harness) -> None:
    sandbox = harness.sandbox
    token = await harness.invite("李强")
    li = sandbox.user(first_name="强")
    sent = await li.send(f"/start {token}")
    await sandbox.wait_for_message(li.chat_id, contains="李强，您好", after=sent["message_id"])

    # The same link again, from another account: refused, and that account stays a stranger.
    other = sandbox.user(first_name="冒用")
    sent = await other.send(f"/start {token}")
    reply = await sandbox.wait_for_message(other.chat_id, after=sent["message_id"])
    assert "此邀请链接已被使用" in reply.text
    sent = await other.send("/whoami")
    reply = await sandbox.wait_for_message(other.chat_id, after=sent["message_id"])
    assert REFUSAL_ZH in reply.text

    # A forged token.
    sent = await other.send("/start AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    reply = await sandbox.wait_for_message(other.chat_id, after=sent["message_id"])
    assert "此邀请链接无效" in reply.text

    # An expired one: issued, then eight days pass.
    late = await harness.invite("张伟")
    harness.clock.advance(timedelta(days=8))
    zhang = sandbox.user(first_name="伟")
    sent = await zhang.send(f"/start {late}")
    reply = await sandbox.wait_for_message(zhang.chat_id, after=sent["message_id"])
    assert "此邀请链接已过期" in reply.text


async def test_lang_switches_replies_and_menu(harness: Harness) -> None:
    sandbox = harness.sandbox
    token = await harness.invite("王芳")
    wang = sandbox.user(first_name="芳")
    sent = await wang.send(f"/start {token}")
    await sandbox.wait_for_message(wang.chat_id, after=sent["message_id"])
    sent = await wang.send("/lang")
    choice = await sandbox.wait_for_message(wang.chat_id, after=sent["message_id"])
    assert choice.buttons() == [["中文", "English"]]
    calls_before = len(sandbox.calls)
    await wang.press(choice, "English")
    await sandbox.wait_for_message(wang.chat_id, contains="Language set: English.")
    menu = await sandbox.wait_for_call(
        "setMyCommands",
        lambda c: c.params["scope"] == {"type": "chat", "chat_id": wang.id},
        since=calls_before,
    )
    assert menu.params["commands"][0]["description"] == "What I can do for you"
    sent = await wang.send("/whoami")
    reply = await sandbox.wait_for_message(wang.chat_id, after=sent["message_id"])
    assert "Name: 王芳" in reply.text
    sent = await wang.send("/lang zh")
    reply = await sandbox.wait_for_message(wang.chat_id, after=sent["message_id"])
    assert reply.text == "语言已设置为中文。"


async def test_stranger_forged_button_press_is_answered_and_refused(harness: Harness) -> None:
    sandbox = harness.sandbox
    stranger = sandbox.user(first_name="路人")
    sent = await stranger.send("/start")
    refusal = await sandbox.wait_for_message(stranger.chat_id, after=sent["message_id"])
    # A client that forges callback data onto a message it holds.
    query_id = await stranger.press_data(refusal, "lang:en")
    await sandbox.drain()
    answer = sandbox.callbacks[query_id]
    assert answer.answered and answer.answer is not None
    assert answer.answer.get("show_alert") is True
    assert REFUSAL_ZH in answer.answer.get("text", "")


async def test_redelivered_update_changes_nothing_twice(harness: Harness) -> None:
    """The same update fed twice (a restart before Telegram saw it confirmed) is handled once."""
    sandbox = harness.sandbox
    token = await harness.invite("张伟")
    zhang = sandbox.user(first_name="伟")
    dp = await build_dispatcher(harness.ctx, Catalogs())
    update = Update.model_validate(
        {
            "update_id": 900_001,
            "message": {
                "message_id": 1,
                "date": 1_790_000_000,
                "chat": {"id": zhang.id, "type": "private", "first_name": "伟"},
                "from": zhang.as_user_dict(),
                "text": f"/start {token}",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
    )
    bot = harness.runtime.bot
    first = await dp.feed_update(bot, update)
    second = await dp.feed_update(bot, update)
    # The bridge sends its replies itself, after the commit; the second feed is skipped.
    assert first is not UNHANDLED
    assert second is UNHANDLED
    greetings = [m for m in sandbox.sent(zhang) if "您好" in m.text or "已被使用" in m.text]
    assert len(greetings) == 1 and "张伟，您好" in greetings[0].text
