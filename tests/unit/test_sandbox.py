"""The Bot API sandbox and spec checker, driven by the real aiogram client."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from io import BytesIO
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command, CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
)
from aiohttp import web

from sandbox.telegram import spec as spec_package
from sandbox.telegram.emulator import BotApiSandbox
from sandbox.telegram.errors import SandboxTimeout
from sandbox.telegram.spec.checking import SpecChecker
from sandbox.telegram.spec.formatting import parse_html
from sandbox.telegram.spec.loading import VENDORED_SPEC, dump_spec, load_spec, trim_spec
from sandbox.telegram.users import FakeUser

# aiogram 3.31 requires this field although Bot API 10.1 does not define it (see sandbox).
AIOGRAM_ONLY_FIELDS = ("can_send_welcome_messages",)


@pytest.fixture
async def sandbox() -> AsyncIterator[BotApiSandbox]:
    async with BotApiSandbox() as sb:
        yield sb


@pytest.fixture
async def bot(sandbox: BotApiSandbox) -> AsyncIterator[Bot]:
    b = sandbox.make_bot()
    yield b
    await b.session.close()


@pytest.fixture
def alice(sandbox: BotApiSandbox) -> FakeUser:
    return sandbox.user(first_name="张三", username="zhangsan")


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in buttons]
    )


def assert_responses_match_spec(sb: BotApiSandbox) -> None:
    """What the sandbox answered must itself be valid per the spec."""
    problems = []
    for call in sb.calls:
        if call.ok:
            returns = sb.spec.methods[call.method]["returns"]
            problems += sb.spec.check_value(returns, call.result, call.method)
    problems = [p for p in problems if not any(f in p for f in AIOGRAM_ONLY_FIELDS)]
    assert problems == []


async def raw_call(
    sb: BotApiSandbox, method: str, data: dict[str, Any], token: str | None = None
) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{sb.base_url}/bot{token or sb.token}/{method}", data=data) as resp,
    ):
        return resp.status, await resp.json()


# --------------------------------------------------------------------------- the spec


def test_the_kept_spec_is_trimmed_and_notes_its_version() -> None:
    """The project keeps only the trimmed spec: it is exactly what trimming writes (so a
    regeneration from a new api.json shows as a clean diff), and it says which Bot API it is,
    as the package's docstring does."""
    text = VENDORED_SPEC.read_text(encoding="utf-8")
    spec = load_spec()
    assert dump_spec(trim_spec(spec)) == text
    assert json.loads(text) == spec
    assert (spec["version"], spec["release_date"]) == ("Bot API 10.1", "June 11, 2026")
    assert "Bot API 10.1 of June 11, 2026" in " ".join((spec_package.__doc__ or "").split())


def test_trimming_is_idempotent_and_keeps_derived_rules() -> None:
    spec = load_spec()
    assert trim_spec(spec) == spec
    send = {f["name"]: f for f in spec["methods"]["sendMessage"]["fields"]}
    assert send["text"]["length"] == [1, 4096, "characters"]
    assert send["text"]["parse_mode_field"] == "parse_mode"
    assert send["chat_id"] == {"name": "chat_id", "types": ["Integer", "String"], "required": True}
    button = spec["types"]["InlineKeyboardButton"]
    assert button["one_of"]["mode"] == "exactly"
    assert "callback_data" in button["one_of"]["fields"]
    assert "text" not in button["one_of"]["fields"]
    scope = {f["name"]: f for f in spec["types"]["BotCommandScopeChat"]["fields"]}
    assert scope["type"]["const"] == "chat"
    assert "BotCommandScopeChat" in spec["types"]["BotCommandScope"]["subtypes"]


def test_parse_html_visible_text_and_utf16_entities() -> None:
    parsed = parse_html(
        '😀<b>粗 <i>斜</i></b> &lt;3 &amp; &#27700;&#x6C34; <a href="https://x.cn/?a=1&amp;b=2">链接</a>'
        '<pre><code class="language-python">x = 1</code></pre>'
        '<blockquote expandable>引用</blockquote><span class="tg-spoiler">秘</span>'
    )
    assert parsed.errors == []
    assert parsed.text == "😀粗 斜 <3 & 水水 链接x = 1引用秘"
    by_type = {e["type"]: e for e in parsed.entities}
    assert by_type["bold"] == {"type": "bold", "offset": 2, "length": 3}  # 😀 is 2 UTF-16 units
    assert by_type["italic"]["offset"] == 4
    assert by_type["text_link"]["url"] == "https://x.cn/?a=1&b=2"
    assert by_type["pre"]["language"] == "python"
    assert "code" not in by_type  # merged into the pre entity
    assert "expandable_blockquote" in by_type and "spoiler" in by_type


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        ("<div>x</div>", "unsupported tag <div>"),
        ("1 < 2", "unescaped '<'"),
        ("1 > 2", "unescaped '>'"),
        ("R&D", "unescaped '&'"),
        ("&nbsp;", "unescaped '&'"),
        ("<b><i>x</b></i>", "misnested tags"),
        ("<b>x", "never closed"),
        ("x</b>", "has no start tag"),
        ('<span class="red">x</span>', 'class="tg-spoiler"'),
        ("<a>x</a>", "without href"),
        ('<b class="x">x</b>', "unsupported attribute 'class'"),
        ('<code class="language-py">x</code>', "only allowed directly inside <pre>"),
        ("<code><b>x</b></code>", "inside <code>"),
        ("<blockquote><blockquote>x</blockquote></blockquote>", "nested <blockquote>"),
        ("a<br/>b", "self-closing"),
    ],
)
def test_parse_html_rejects(html: str, problem: str) -> None:
    errors = parse_html(html).errors
    assert any(problem in e for e in errors), errors


def test_checker_types_subtypes_files_and_arrays() -> None:
    checker = SpecChecker()
    commands = json.dumps([{"command": "start", "description": "开始"}])

    def scope(value: dict[str, Any]) -> list[str]:
        return checker.check(
            "setMyCommands", {"commands": commands, "scope": json.dumps(value)}, set()
        )

    assert scope({"type": "chat", "chat_id": -100123}) == []
    assert scope({"type": "chat"}) == ["setMyCommands: scope.chat_id: required but missing"]
    assert "scope.type: must be one of" in scope({"type": "everyone"})[0]
    assert checker.check("setMyCommands", {"commands": '[{"command": "x"}]'}, set()) == [
        "setMyCommands: commands[0].description: required but missing"
    ]
    # Files: a direct part, an attach:// reference, a dangling one and an orphan part.
    assert checker.check("sendDocument", {"chat_id": "1"}, {"document"}) == []
    assert checker.check("sendDocument", {"chat_id": "1", "document": "attach://f1"}, {"f1"}) == []
    assert checker.check("sendDocument", {"chat_id": "1", "document": "file-id-123"}, set()) == []
    assert (
        "names no uploaded file part"
        in checker.check("sendDocument", {"chat_id": "1", "document": "attach://nope"}, set())[0]
    )
    assert (
        "not a parameter nor used"
        in checker.check("sendDocument", {"chat_id": "1", "document": "x"}, {"stray"})[0]
    )
    # Native JSON (not form-encoded) values are accepted too, but nested values must be native.
    assert (
        checker.check("sendMessage", {"chat_id": 5, "text": "hi", "protect_content": True}, set())
        == []
    )
    bad_row = json.dumps({"inline_keyboard": [{"text": "not a row"}]})
    assert (
        "expected Array of InlineKeyboardButton"
        in checker.check(
            "sendMessage", {"chat_id": 5, "text": "hi", "reply_markup": bad_row}, set()
        )[0]
    )
    decoded = checker.decode(
        "sendMessage", {"chat_id": "-100", "text": "5", "protect_content": "true"}
    )
    assert decoded == {"chat_id": -100, "text": "5", "protect_content": True}
    assert checker.check("sendMesage", {}, set()) == ["sendMesage: unknown method"]


# --------------------------------------------------------------------------- sending


async def test_send_message_with_keyboard_is_visible(
    sandbox: BotApiSandbox, bot: Bot, alice: FakeUser
) -> None:
    result = await bot.send_message(
        alice.chat_id,
        "<b>今日任务</b> &lt;走访&gt;",
        parse_mode="HTML",
        reply_markup=keyboard(("完成", "task:done:1"), ("稍后", "task:later:1")),
    )
    assert result.text == "今日任务 <走访>"
    assert result.entities is not None and result.entities[0].type == "bold"
    assert result.from_user is not None and result.from_user.is_bot
    [sent] = sandbox.sent(alice)
    assert sent.message_id == result.message_id
    assert sent.text == "今日任务 <走访>"
    assert sent.source == "<b>今日任务</b> &lt;走访&gt;"
    assert sent.parse_mode == "HTML"
    assert sent.buttons() == [["完成"], ["稍后"]]
    assert sent.button_data() == [["task:done:1"], ["task:later:1"]]
    sandbox.assert_no_violations()
    assert_responses_match_spec(sandbox)


async def test_reply_parameters_link_the_replied_message(
    sandbox: BotApiSandbox, bot: Bot, alice: FakeUser
) -> None:
    asked = await alice.send("我在哪个村？")
    answer = await bot.send_message(
        alice.chat_id, "大塘村", reply_parameters=ReplyParameters(message_id=asked["message_id"])
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "我在哪个村？"
    with pytest.raises(TelegramBadRequest, match="replied not found"):
        await bot.send_message(alice.chat_id, "x", reply_parameters=ReplyParameters(message_id=999))


async def test_edits_history_keyboard_removal_and_not_modified(
    sandbox: BotApiSandbox, bot: Bot, alice: FakeUser
) -> None:
    msg = await bot.send_message(alice.chat_id, "待确认", reply_markup=keyboard(("确认", "ok")))
    sent = sandbox.sent(alice)[0]
    await bot.edit_message_text("已确认", chat_id=alice.chat_id, message_id=msg.message_id)
    assert sent.text == "已确认"
    assert sent.reply_markup is None  # editing text without reply_markup drops the keyboard
    assert [e["text"] for e in sent.edits] == ["待确认"]
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("已确认", chat_id=alice.chat_id, message_id=msg.message_id)
    await bot.edit_message_reply_markup(
        chat_id=alice.chat_id, message_id=msg.message_id, reply_markup=keyboard(("撤销", "undo"))
    )
    assert sent.buttons() == [["撤销"]]
    with pytest.raises(LookupError, match="no button '确认'"):
        await alice.press(sent, "确认")
    assert await bot.delete_message(alice.chat_id, msg.message_id)
    assert sandbox.sent(alice) == []
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=alice.chat_id, message_id=msg.message_id)
    sandbox.assert_no_violations()
    assert_responses_match_spec(sandbox)


async def test_documents_round_trip_through_upload_get_file_and_download(
    sandbox: BotApiSandbox, bot: Bot, alice: FakeUser
) -> None:
    content = "姓名,村\n张三,大塘\n".encode()
    result = await bot.send_document(
        alice.chat_id,
        BufferedInputFile(content, filename="花名册.csv"),
        caption="<i>附件</i>",
        parse_mode="HTML",
    )
    sent = sandbox.sent(alice)[-1]
    assert sent.content == content and sent.file_name == "花名册.csv"
    assert sent.text == "附件" and result.caption == "附件"
    assert result.document is not None and result.document.file_size == len(content)

    incoming = await alice.send_document("report.xlsx", b"PK\x03\x04data")
    file = await bot.get_file(incoming["document"]["file_id"])
    assert file.file_path is not None
    buffer = await bot.download_file(file.file_path, BytesIO())
    assert isinstance(buffer, BytesIO) and buffer.getvalue() == b"PK\x03\x04data"
    # Resending by file_id works; an unknown file_id is refused as on Telegram.
    await bot.send_document(alice.chat_id, incoming["document"]["file_id"])
    assert sandbox.sent(alice)[-1].content == b"PK\x03\x04data"
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(alice.chat_id, "no-such-file")
    sandbox.assert_no_violations()
    assert_responses_match_spec(sandbox)


async def test_commands_are_stored_per_scope_and_language(
    sandbox: BotApiSandbox, bot: Bot, alice: FakeUser
) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="开始")])
    scope = BotCommandScopeChat(chat_id=alice.chat_id)
    await bot.set_my_commands(
        [BotCommand(command="report", description="报告")], scope=scope, language_code="zh"
    )
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert [c.command for c in await bot.get_my_commands(scope=scope, language_code="zh")] == [
        "report"
    ]
    assert await bot.get_my_commands(scope=scope) == []
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start", description="x")])
    sandbox.assert_no_violations()


# --------------------------------------------------------------------------- violations

LONG = "x" * 4097


@pytest.mark.parametrize(
    ("params", "violation"),
    [
        ({"text": "hi", "colour": "red"}, "sendMessage: colour: unknown parameter"),
        ({"text": "hi", "chat_id": None}, "sendMessage: chat_id: required but missing"),
        ({"text": "hi", "message_thread_id": "abc"}, "message_thread_id: expected Integer"),
        ({"text": "hi", "disable_notification": "yes"}, "expected Boolean, got 'yes'"),
        ({"text": "hi", "reply_markup": "{oops"}, "reply_markup: expected InlineKeyboardMarkup"),
        ({"text": LONG}, "text: must be 1-4096 characters, got 4097 characters"),
        ({"text": "<b></b>", "parse_mode": "HTML"}, "text: must be 1-4096 characters, got empty"),
        ({"text": "hi", "parse_mode": "Markdown3"}, "unsupported parse mode"),
        (
            {
                "text": "hi",
                "reply_markup": json.dumps(
                    {"inline_keyboard": [[{"text": "a", "callback_data": "数" * 22}]]}
                ),
            },
            "reply_markup.inline_keyboard[0][0].callback_data: must be 1-64 bytes, got 66 bytes",
        ),
        (
            {"text": "hi", "reply_markup": json.dumps({"inline_keyboard": [[{"text": "a"}]]})},
            "exactly one of url, callback_data",
        ),
        ({"text": "<div>通知</div>", "parse_mode": "HTML"}, "unsupported tag <div>"),
        ({"text": "气温 < 5 度", "parse_mode": "HTML"}, "unescaped '<'"),
        ({"text": "R&D 小组", "parse_mode": "HTML"}, "unescaped '&'"),
        ({"text": "<b><i>粗斜</b></i>", "parse_mode": "HTML"}, "misnested tags"),
    ],
)
async def test_spec_violations_are_rejected_and_recorded(
    sandbox: BotApiSandbox, alice: FakeUser, params: dict[str, Any], violation: str
) -> None:
    data = {"chat_id": str(alice.chat_id), **params}
    status, body = await raw_call(
        sandbox, "sendMessage", {k: v for k, v in data.items() if v is not None}
    )
    assert status == 400 and body["ok"] is False and body["error_code"] == 400
    assert body["description"].startswith("Bad Request: ")
    assert any(violation in v for v in sandbox.violations), sandbox.violations
    assert sandbox.sent(alice) == []
    with pytest.raises(AssertionError, match="Bot API violation"):
        sandbox.assert_no_violations()


@pytest.mark.parametrize(
    "text",
    [
        "&lt;b&gt; 不是标签 &amp; &quot;引号&quot; &#27700; &#x6C34;",
        '<a href="https://example.cn/?a=1&amp;b=2">链接</a>',
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
        '<pre><code class="language-python">print("x")</code></pre>',
        "<blockquote expandable>引用</blockquote>",
        "<b>" + "长" * 4096 + "</b>",  # the limit counts visible text, not markup
    ],
)
async def test_valid_html_is_accepted(
    sandbox: BotApiSandbox, bot: Bot, alice: FakeUser, text: str
) -> None:
    await bot.send_message(alice.chat_id, text, parse_mode="HTML")
    sandbox.assert_no_violations()


async def test_aiogram_sees_violations_as_bad_request(
    sandbox: BotApiSandbox, bot: Bot, alice: FakeUser
) -> None:
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(alice.chat_id, LONG)
    assert any("must be 1-4096 characters" in v for v in sandbox.violations)
    with pytest.raises(TelegramBadRequest, match="callback_data: must be 1-64 bytes"):
        await bot.send_message(alice.chat_id, "hi", reply_markup=keyboard(("a", "x" * 65)))
    assert len(sandbox.violations) == 2


async def test_non_strict_mode_records_but_answers() -> None:
    async with BotApiSandbox(strict=False) as sb:
        user = sb.user()
        status, body = await raw_call(
            sb, "sendMessage", {"chat_id": str(user.chat_id), "text": "1 < 2", "parse_mode": "HTML"}
        )
        assert status == 200 and body["result"]["text"] == "1 < 2"
        assert sb.violations and "unescaped '<'" in sb.violations[0]


async def test_unknown_token_method_and_unemulated_method(
    sandbox: BotApiSandbox, alice: FakeUser
) -> None:
    status, body = await raw_call(sandbox, "getMe", {}, token="999:WRONG")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    other = Bot(
        "999:WRONG", session=AiohttpSession(api=TelegramAPIServer.from_base(sandbox.base_url))
    )
    with pytest.raises(TelegramUnauthorizedError):
        await other.get_me()
    await other.session.close()
    assert sandbox.violations == []

    status, body = await raw_call(sandbox, "sendMesage", {"chat_id": "1", "text": "x"})
    assert status == 404 and sandbox.violations == ["sendMesage: unknown method"]

    status, body = await raw_call(sandbox, "sendDice", {"chat_id": str(alice.chat_id)})
    assert status == 501 and body["error_code"] == 501
    assert sandbox.violations[-1] == "sendDice: not emulated by the sandbox"


async def test_chat_errors(sandbox: BotApiSandbox, bot: Bot, alice: FakeUser) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "hi")
    alice.block()
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await bot.send_message(alice.chat_id, "hi")
    stranger = sandbox.user(started=False)
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(stranger.chat_id, "hi")
    await stranger.send("/start")
    await bot.send_message(stranger.chat_id, "欢迎")
    sandbox.assert_no_violations()  # API errors are not spec violations


# --------------------------------------------------------------------------- updates


async def test_long_poll_returns_when_an_update_arrives(
    sandbox: BotApiSandbox, bot: Bot, alice: FakeUser
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    await alice.send("你好")
    updates = await poll
    assert time.monotonic() - started < 1
    assert [u.message.text for u in updates if u.message] == ["你好"]
    # Pending updates come back at once until an offset confirms them.
    again = await bot.get_updates(timeout=5)
    assert [u.update_id for u in again] == [updates[0].update_id]
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == []
    assert sandbox.pending_updates() == 0


async def test_get_updates_respects_limit_and_allowed_updates(
    sandbox: BotApiSandbox, bot: Bot, alice: FakeUser
) -> None:
    for i in range(3):
        await alice.send(f"消息{i}")
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first if u.message] == ["消息0", "消息1"]
    msg = await bot.send_message(alice.chat_id, "选", reply_markup=keyboard(("好", "good")))
    await alice.press(sandbox.sent(alice)[0], "好")
    updates = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query.data for u in updates if u.callback_query] == ["good"]
    assert all(u.message is None for u in updates)  # the unwanted messages were dropped
    assert updates[0].callback_query is not None
    assert updates[0].callback_query.message is not None
    assert updates[0].callback_query.message.message_id == msg.message_id


async def test_stop_releases_a_pending_long_poll(sandbox: BotApiSandbox) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{sandbox.base_url}/bot{sandbox.token}/getUpdates"
        poll = asyncio.create_task(http.post(url, data={"timeout": "30"}))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await sandbox.stop()
        resp = await poll
        assert (await resp.json())["result"] == []
        assert time.monotonic() - started < 1.5


async def test_a_newer_long_poll_terminates_the_older(sandbox: BotApiSandbox, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await first
    assert await second == []


async def test_group_privacy_mode(sandbox: BotApiSandbox, bot: Bot, alice: FakeUser) -> None:
    group = sandbox.group("大塘村工作群")
    await alice.send("大家好", chat=group)  # plain chatter: not for the bot
    await alice.send("/report@zhucun_test_bot 今日", chat=group)
    await alice.send("/help@other_bot", chat=group)
    sent = await bot.send_message(group.chat_id, "请回复本消息")
    await alice.send("收到", chat=group, reply_to=sandbox.sent(group)[0])
    await alice.send("@zhucun_test_bot 在吗", chat=group)
    updates = await bot.get_updates()
    texts = [u.message.text for u in updates if u.message]
    assert texts == ["/report@zhucun_test_bot 今日", "收到", "@zhucun_test_bot 在吗"]
    assert updates[1].message is not None and updates[1].message.reply_to_message is not None
    assert updates[1].message.reply_to_message.message_id == sent.message_id
    assert group.chat_id < 0 and updates[0].message is not None
    assert updates[0].message.chat.type == "supergroup"


async def test_chat_and_member_queries(sandbox: BotApiSandbox, bot: Bot, alice: FakeUser) -> None:
    boss = sandbox.user(first_name="李书记")
    group = sandbox.group("乡镇群", members=[alice], bot_is_admin=True)
    group.add(boss, "creator")
    assert (await bot.get_chat(group.chat_id)).title == "乡镇群"
    assert (await bot.get_chat(alice.chat_id)).first_name == "张三"
    assert (await bot.get_chat_member(group.chat_id, alice.id)).status == "member"
    assert (await bot.get_chat_member(group.chat_id, boss.id)).status == "creator"
    assert (await bot.get_chat_member(group.chat_id, sandbox.bot_id)).status == "administrator"
    stranger = sandbox.user()
    assert (await bot.get_chat_member(group.chat_id, stranger.id)).status == "left"
    admins = await bot.get_chat_administrators(group.chat_id)
    assert {a.user.id for a in admins} == {boss.id, sandbox.bot_id}
    me = await bot.get_me()
    assert me.username == "zhucun_test_bot" and me.can_read_all_group_messages is False
    sandbox.assert_no_violations()
    assert_responses_match_spec(sandbox)


# --------------------------------------------------------------------------- a running bot


async def test_dispatcher_handles_text_buttons_photos_and_locations(
    sandbox: BotApiSandbox, bot: Bot, alice: FakeUser
) -> None:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer(
            "欢迎，<b>张三</b>！", parse_mode="HTML", reply_markup=keyboard(("签到", "checkin"))
        )

    @dp.callback_query(F.data == "checkin")
    async def checkin(query: CallbackQuery) -> None:
        await query.answer("已签到")
        assert isinstance(query.message, Message)
        await query.message.edit_text("✅ 已签到")

    @dp.message(F.photo)
    async def photo(message: Message) -> None:
        assert message.photo is not None
        await message.reply(f"照片 {message.photo[-1].file_size} 字节：{message.caption}")

    @dp.message(F.location)
    async def location(message: Message) -> None:
        assert message.location is not None
        forwarded = message.forward_origin is not None
        await message.answer(f"位置 {message.location.latitude} 转发={forwarded}")

    @dp.message(Command("forge"))
    async def forge(message: Message) -> None:
        await message.answer("ok")

    async with sandbox.polling(dp, bot):
        hello = await alice.send("/start")
        welcome = await sandbox.wait_for_message(alice, contains="欢迎", after=hello["message_id"])
        assert welcome.text == "欢迎，张三！" and welcome.buttons() == [["签到"]]

        query_id = await alice.press(welcome, "签到")
        await sandbox.wait_for_call("editMessageText")
        assert welcome.text == "✅ 已签到" and welcome.buttons() == []
        assert sandbox.callbacks[query_id].answer == {"text": "已签到"}

        pic = await alice.send_photo(caption="村口", file_size=2048)
        reply = await sandbox.wait_for_message(alice, after=pic["message_id"])
        assert reply.text == "照片 2048 字节：村口"
        assert reply.raw["reply_to_message"]["message_id"] == pic["message_id"]

        await alice.share_location(25.83, 114.93, forwarded_from=sandbox.user(first_name="王五"))
        await sandbox.wait_for_message(alice, contains="转发=True")

        # A forged callback nobody handles stays unanswered, which the sandbox can report.
        await alice.press_data(welcome, "forged:data")
        await sandbox.drain()

    assert [c.data for c in sandbox.unanswered_callbacks()] == ["forged:data"]
    with pytest.raises(AssertionError, match="forged:data"):
        sandbox.assert_callbacks_answered()
    sandbox.assert_no_violations()
    assert_responses_match_spec(sandbox)


async def test_wait_for_message_explains_a_timeout(
    sandbox: BotApiSandbox, bot: Bot, alice: FakeUser
) -> None:
    await bot.send_message(alice.chat_id, "别的消息")
    with pytest.raises(SandboxTimeout, match=r"containing '任务'.*别的消息"):
        await sandbox.wait_for_message(alice, contains="任务", timeout=0.05)


# --------------------------------------------------------------------------- faults


async def test_fail_next_429_becomes_telegram_retry_after(
    sandbox: BotApiSandbox, bot: Bot, alice: FakeUser
) -> None:
    sandbox.fail_next("sendMessage", error_code=429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(alice.chat_id, "第一次")
    assert caught.value.retry_after == 7
    await bot.send_message(alice.chat_id, "第二次")  # one failure only
    assert [m.text for m in sandbox.sent(alice)] == ["第二次"]
    assert sandbox.calls_to("sendMessage")[0].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }


async def test_fail_next_scoped_to_a_chat_and_repeated(
    sandbox: BotApiSandbox, bot: Bot, alice: FakeUser
) -> None:
    bob = sandbox.user(first_name="李四")
    sandbox.fail_next("sendMessage", error_code=502, chat_id=bob.chat_id, times=2)
    await bot.send_message(alice.chat_id, "给张三")
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_message(bob.chat_id, "给李四")
    await bot.send_message(bob.chat_id, "给李四")
    assert len(sandbox.sent(bob)) == 1


async def test_stall_times_out_the_client_yet_delivers(
    sandbox: BotApiSandbox, bot: Bot, alice: FakeUser
) -> None:
    sandbox.fail_next("sendMessage", stall=0.5)
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.send_message(alice.chat_id, "可能重复", request_timeout=0.1)  # type: ignore[arg-type]
    delivered = await sandbox.wait_for_message(alice, contains="可能重复", timeout=2)
    assert delivered.text == "可能重复"


# --------------------------------------------------------------------------- webhook


async def test_webhook_delivery_and_reply_in_response(
    sandbox: BotApiSandbox, bot: Bot, alice: FakeUser
) -> None:
    received: list[tuple[dict[str, Any], str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        update = await request.json()
        received.append((update, request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        chat_id = update["message"]["chat"]["id"]
        return web.json_response({"method": "sendMessage", "chat_id": chat_id, "text": "收到"})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates()
        await alice.send("webhook 测试")
        reply = await sandbox.wait_for_message(alice, contains="收到")
        assert reply.text == "收到"
        assert received[0][0]["message"]["text"] == "webhook 测试"
        assert received[0][1] == "s3cret"
        assert (await bot.get_webhook_info()).url.endswith("/hook")
        assert sandbox.calls_to("sendMessage")[0].via == "webhook"
        await bot.delete_webhook()
    finally:
        await runner.cleanup()
    sandbox.assert_no_violations()


async def test_webhook_url_and_secret_follow_telegram_rules(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="HTTPS URL"):
        await bot.set_webhook("http://example.cn/hook")
    with pytest.raises(TelegramBadRequest, match="ports"):
        await bot.set_webhook("https://example.cn:9000/hook")
    with pytest.raises(TelegramBadRequest, match="unallowed characters"):
        await bot.set_webhook("https://example.cn/hook", secret_token="with space")


# --------------------------------------------------------------------------- other methods


async def test_forward_copy_media_and_user_edits(
    sandbox: BotApiSandbox, bot: Bot, alice: FakeUser
) -> None:
    boss = sandbox.user(first_name="李书记")
    report = await alice.send("今日走访 3 户")
    forwarded = await bot.forward_message(boss.chat_id, alice.chat_id, report["message_id"])
    assert forwarded.text == "今日走访 3 户"
    assert forwarded.forward_origin is not None and forwarded.forward_origin.type == "user"
    pic = await alice.send_photo(caption="现场")
    copied = await bot.copy_message(boss.chat_id, alice.chat_id, pic["message_id"], caption="副本")
    [_, copy_msg] = sandbox.sent(boss)
    assert copy_msg.message_id == copied.message_id and copy_msg.text == "副本"
    assert "forward_origin" not in copy_msg.raw and copy_msg.raw["photo"]

    where = await bot.send_location(alice.chat_id, latitude=25.8, longitude=114.9)
    assert where.location is not None and where.location.latitude == 25.8
    photo = await bot.send_photo(alice.chat_id, BufferedInputFile(b"\xff\xd8jpeg", "p.jpg"))
    assert photo.photo is not None and len(photo.photo) == 3
    assert await bot.send_chat_action(alice.chat_id, "typing")
    assert await bot.delete_messages(alice.chat_id, [where.message_id, photo.message_id, 999])
    assert sandbox.sent(alice) == []

    await alice.edit(report, "今日走访 4 户")
    updates = await bot.get_updates()
    edited = [u.edited_message for u in updates if u.edited_message]
    assert edited and edited[0].text == "今日走访 4 户" and edited[0].edit_date
    sandbox.assert_no_violations()
    assert_responses_match_spec(sandbox)
