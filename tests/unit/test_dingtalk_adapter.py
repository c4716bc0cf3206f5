"""The DingTalk adapter's pure parts: frames into events, views into DingTalk messages."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from bot.dingtalk import rendering
from bot.dingtalk.bridge import typed_press
from bot.dingtalk.choices import CHOICES, abandoned_press, left_flow
from bot.dingtalk.incoming import command_of, from_card, from_message
from handlers.core.events import ChatKind, EventKind, Incoming, split_command
from handlers.core.views import SENT_IDS, Button
from handlers.leave.flow import LeaveFlow

COMMANDS = frozenset({"leave", "visit", "help", "start", "bind"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/leave 12-01 12-03 事假", ("leave", "12-01 12-03 事假")),
        ("leave 12-01 12-03 事假", ("leave", "12-01 12-03 事假")),
        ("LEAVE 12-01", ("leave", "12-01")),
        ("visit\u3000张伟明 电话", ("visit", "张伟明 电话")),  # a full-width space
        ("绑定 AbC_123", ("start", "AbC_123")),
        ("请假 12-01", (None, "")),  # not a command: the core's typed routes decide
        ("leaves are falling", (None, "")),
        ("", (None, "")),
    ],
)
def test_commands_come_with_or_without_their_slash(
    text: str, expected: tuple[str | None, str]
) -> None:
    assert command_of(text, COMMANDS) == expected


def _message(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "msgId": "msg1",
        "conversationId": "cidPrivate==",
        "conversationType": "1",
        "senderStaffId": "wangfang",
        "sessionWebhook": "http://127.0.0.1/robot/sendBySession?session=s",
        "sessionWebhookExpiredTime": 1_700_000_000_000,
        "msgtype": "text",
        "text": {"content": "help"},
    }
    base.update(fields)
    return base


def test_a_private_text_is_addressed_to_the_staff_id() -> None:
    parsed = from_message(_message(), COMMANDS)
    assert parsed is not None
    event, frame = parsed
    assert (event.chat_id, event.user_id, event.chat_kind) == (
        "wangfang",
        "wangfang",
        ChatKind.PRIVATE,
    )
    assert (event.command, event.text) == ("help", "/help")
    assert frame.message_id == "msg1" and frame.session_webhook


def test_a_group_message_keeps_its_conversation_and_drops_the_mentions_space() -> None:
    data = _message(
        conversationType="2",
        conversationId="cidGroup==",
        conversationTitle="赣县区驻村工作群",
        text={"content": " /bind county"},
    )
    parsed = from_message(data, COMMANDS)
    assert parsed is not None
    event, _ = parsed
    assert (event.chat_id, event.chat_kind, event.chat_title) == (
        "cidGroup==", ChatKind.GROUP, "赣县区驻村工作群",
    )  # fmt: skip
    assert (event.command, event.args) == ("bind", "county")


@pytest.mark.parametrize(
    ("fields", "text", "voice"),
    [
        (
            {"msgtype": "audio", "content": {"downloadCode": "d", "recognition": "visit 张伟明"}},
            "visit 张伟明",
            "visit 张伟明",
        ),
        ({"msgtype": "audio", "content": {"downloadCode": "d"}}, "", ""),
    ],
)
def test_a_voice_message_carries_what_dingtalk_heard(
    fields: dict[str, object], text: str, voice: str
) -> None:
    parsed = from_message(_message(**fields), COMMANDS)
    assert parsed is not None
    event, frame = parsed
    assert frame.voice_message and frame.voice == voice
    assert event.args == ("张伟明" if text else "")


def test_a_picture_is_a_photo_by_its_download_code() -> None:
    parsed = from_message(_message(msgtype="picture", content={"downloadCode": "dc1"}), COMMANDS)
    assert parsed is not None
    event, _ = parsed
    assert event.photo is not None and event.photo.file_id == "dc1"


def test_no_staff_id_or_an_unknown_kind_is_not_ours() -> None:
    assert from_message(_message(senderStaffId=""), COMMANDS) is None
    assert from_message(_message(msgtype="file", content={}), COMMANDS) is None


def test_a_card_press_carries_the_payload_of_its_button() -> None:
    content = json.dumps(
        {"cardPrivateData": {"actionIds": ["press"], "params": {"payload": "lv:ok:1"}}}
    )
    event = from_card({"userId": "liuyang", "outTrackId": "zc-1", "content": content})
    assert event is not None and event.kind is EventKind.PRESS
    assert (event.payload, event.chat_id, event.origin and event.origin.message_id) == (
        "lv:ok:1", "liuyang", "zc-1",
    )  # fmt: skip
    assert from_card({"userId": "liuyang", "content": "not json"}) is None
    assert from_card({"userId": "liuyang", "content": json.dumps({"cardPrivateData": {}})}) is None


def test_html_becomes_dingtalk_markdown_and_keeps_its_lines() -> None:
    html = "<b>请假申请 #1</b>\n王芳 &lt;第一书记&gt;\n<i>事假</i> <code>12-01</code>"
    assert rendering.markdown(html) == "**请假申请 #1**  \n王芳 <第一书记>  \n*事假* `12-01`"
    assert rendering.plain(html) == "请假申请 #1\n王芳 <第一书记>\n事假 12-01"
    assert rendering.title_of(html) == "请假申请 #1"


def test_buttons_are_answered_by_their_label_or_number() -> None:
    two = ((Button("提交", "lv:submit"), Button("取消", "lv:cancel")),)
    options = rendering.choices(two)
    assert [c.typed for c in options] == ["提交", "取消"]
    assert "「提交」" in rendering.how_to_type(options)
    many = ((*(Button(f"户{n}", f"p{n}") for n in range(6)),),)
    numbered = rendering.choices(many)
    assert [c.typed for c in numbered] == ["1", "2", "3", "4", "5", "6"]
    assert "回复数字" in rendering.how_to_type(numbered)


def test_an_action_card_sends_each_buttons_answer_as_a_message() -> None:
    options = rendering.choices(((Button("批准", "a"), Button("驳回", "r")),))
    key, param = rendering.action_card("<b>请假申请</b>", options)
    assert key == "sampleActionCard2"
    assert param["actionTitle1"] == "批准"
    link = param["actionURL2"]
    assert link.startswith("dtmd://dingtalkclient/sendMessage?content=")
    assert unquote(link.split("content=", 1)[1]) == "驳回"
    card = rendering.card_params("<b>请假申请</b>", options)
    assert json.loads(card["buttons"]) == [
        {"text": "批准", "payload": "a"}, {"text": "驳回", "payload": "r"},
    ]  # fmt: skip
    assert all(isinstance(v, str) for v in card.values())


@pytest.mark.parametrize(
    ("said", "payload"),
    [
        ("提交", "lv:submit"),
        (" 取消 ", "lv:cancel"),
        ("1", "lv:submit"),
        ("2", "lv:cancel"),
        ("3", None),
        ("好", None),
    ],
)
def test_a_typed_answer_presses_the_last_messages_button(said: str, payload: str | None) -> None:
    stored = {"id": "m1", "options": [["提交", "lv:submit", "提交"], ["取消", "lv:cancel", "取消"]]}
    found = typed_press(said, stored)
    assert (found[0] if found else None) == payload
    if found:
        assert found[1].message_id == "m1" and found[1].payloads == ("lv:submit", "lv:cancel")
    assert typed_press(said, None) is None


def test_a_flow_message_left_for_a_command_is_kept_apart_and_answered_by_its_words() -> None:
    draft = {"id": "m1", "options": [["提交", "lv:submit", "提交"], ["取消", "lv:cancel", "取消"]]}
    before = {CHOICES: draft, SENT_IDS: {LeaveFlow.message: "m1"}}

    def event(text: str) -> Incoming:
        command, args = split_command(text)
        return Incoming("dingtalk", EventKind.MESSAGE, "u", ChatKind.PRIVATE, "u", text=text,
                        command=command, args=args)  # fmt: skip

    assert left_flow(before, event("/myleave")) == draft
    assert left_flow(before, event("随便说说")) is None  # not a command: nothing left
    # The last message with buttons was not a flow's (a list of one's own requests).
    assert left_flow({**before, SENT_IDS: {}}, event("/myleave")) is None
    found = abandoned_press("提交", draft)
    assert found is not None and found[0] == "lv:submit" and found[1].message_id == "m1"
    # Numbers and anything else are for the last message only.
    assert abandoned_press("1", draft) is None and abandoned_press("好", draft) is None
