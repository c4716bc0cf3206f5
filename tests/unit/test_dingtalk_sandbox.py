"""The DingTalk emulator: the real ``dingtalk_stream`` SDK against its gateway, and its
OpenAPI checked call by call over plain HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import dingtalk_stream
import pytest
from dingtalk_stream import AckMessage, CallbackHandler, CallbackMessage, ChatbotMessage

from sandbox.dingtalk import DingTalkSandbox

GROUP = "cidGroupTestAbCdEf=="
TOKEN_HEADER = "x-acs-dingtalk-access-token"


@pytest.fixture
async def sandbox() -> AsyncIterator[DingTalkSandbox]:
    sb = DingTalkSandbox()
    await sb.start()
    sb.add_user("zhangsan", "张三", mobile="13800000001")
    sb.add_user("lisi", "李四")
    sb.add_group(GROUP, "驻村工作群", ["zhangsan", "lisi"])
    yield sb
    await sb.stop()


# ---------------------------------------------------------------------- the real SDK


class _FastAsyncio:
    """``asyncio`` for the SDK's module, with its 3-10 s reconnect sleeps (and 60 s
    keepalive) cut short, so reconnects happen within a test."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    async def sleep(delay: float, result: Any = None) -> Any:
        return await asyncio.sleep(min(delay, 0.2), result)


class _Recorder(CallbackHandler):
    def __init__(self, sink: list[Any], reply: Any = "OK") -> None:
        super().__init__()
        self.sink = sink
        self.reply = reply

    async def process(self, callback: CallbackMessage) -> tuple[int, Any]:
        self.sink.append(callback.data)
        return AckMessage.STATUS_OK, self.reply


class SdkClient:
    """``DingTalkStreamClient.start()`` in a thread of its own: its ``open_connection`` is a
    blocking ``requests.post``, which would block the emulator's loop if they shared it."""

    def __init__(self, base_url: str) -> None:
        credential = dingtalk_stream.Credential("ding-test-app", "test-secret")
        self.client = dingtalk_stream.DingTalkStreamClient(credential)
        self.messages: list[dict[str, Any]] = []
        self.presses: list[dict[str, Any]] = []
        card_reply = {"cardData": {"cardParamMap": {"status": "已确认"}}}
        self.client.register_callback_handler(ChatbotMessage.TOPIC, _Recorder(self.messages))
        self.client.register_callback_handler(
            CallbackHandler.TOPIC_CARD_CALLBACK, _Recorder(self.presses, card_reply)
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self.client.start())
        self._ready.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(5)

    def stop(self) -> None:
        """0.24.3's start() swallows a cancel: cancel until the task is really done."""
        loop, task = self._loop, self._task
        assert loop is not None and task is not None

        def cancel() -> None:
            if not task.done():
                task.cancel()
                loop.call_later(0.05, cancel)

        loop.call_soon_threadsafe(cancel)
        self._thread.join(10)
        assert not self._thread.is_alive()


@pytest.fixture
def sdk_patched(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setattr(dingtalk_stream.stream, "asyncio", _FastAsyncio())

    def point_at(base_url: str) -> None:
        api = f"{base_url}/v1.0/gateway/connections/open"
        monkeypatch.setattr(dingtalk_stream.stream.DingTalkStreamClient, "OPEN_CONNECTION_API", api)

    return point_at


async def _eventually(check: Callable[[], bool], timeout: float = 10) -> None:  # noqa: ASYNC109
    """Poll: the SDK runs in its own thread, so there is no event of ours to wait on."""
    async with asyncio.timeout(timeout):
        while not check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_real_sdk_receives_acks_and_reconnects(
    sandbox: DingTalkSandbox, sdk_patched: Callable[[str], None]
) -> None:
    sdk_patched(sandbox.base_url)
    client = SdkClient(sandbox.base_url)
    client.start()
    try:
        msg_id = await sandbox.say("zhangsan", "你好")
        ack = await sandbox.wait_acked(msg_id)
        assert ack["code"] == 200 and sandbox.acked(msg_id)
        await _eventually(lambda: len(client.messages) == 1)
        incoming = ChatbotMessage.from_dict(client.messages[0])
        assert incoming.text.content == "你好"
        assert incoming.sender_staff_id == "zhangsan" and incoming.sender_nick == "张三"
        assert incoming.conversation_type == "1" and incoming.conversation_id.startswith("cid")
        assert incoming.session_webhook.startswith(f"{sandbox.base_url}/robot/sendBySession")
        assert incoming.session_webhook_expired_time - incoming.create_at == 90 * 60 * 1000
        assert sandbox.connections == 1 and sandbox.connected

        group_msg = await sandbox.say("lisi", "打卡", group=GROUP)
        await sandbox.wait_acked(group_msg)
        in_group = ChatbotMessage.from_dict(client.messages[-1])
        assert in_group.conversation_id == GROUP and in_group.conversation_type == "2"
        assert in_group.text.content.strip() == "打卡" and in_group.is_in_at_list

        ping = await sandbox.ping("abc-123")
        assert json.loads(ping["data"]) == {"opaque": "abc-123"}

        await sandbox.drop_connection()  # the SDK sees an abnormal close and reconnects
        again = await sandbox.say("zhangsan", "还在吗")
        await sandbox.wait_acked(again)
        assert sandbox.connections == 2

        await sandbox.redeliver(again)  # same messageId once more: ACKed again
        await sandbox.wait_acked(again)
        assert [m["msgId"] for m in client.messages].count(again) == 2

        await sandbox.send_disconnect(grace=5)  # the SDK closes and opens a new one
        await _eventually(lambda: sandbox.connections == 3)

        async with aiohttp.ClientSession() as http:
            token = await _token(http, sandbox)
            await _create_card(http, sandbox, token, "card-1", "dtv1.card//IM_ROBOT.zhangsan")
        press_id = await sandbox.press("zhangsan", "card-1", {"choice": "yes"})
        await sandbox.wait_acked(press_id)
        await _eventually(lambda: len(client.presses) == 1)
        content = json.loads(client.presses[0]["content"])
        assert content == {"cardPrivateData": {"actionIds": ["press"], "params": {"choice": "yes"}}}
        assert client.presses[0]["userId"] == "zhangsan"
        assert sandbox.cards["card-1"].card_param_map["status"] == "已确认"
    finally:
        client.stop()
    assert sandbox.violations == []


# ---------------------------------------------------------------------- the OpenAPI


async def _token(http: aiohttp.ClientSession, sb: DingTalkSandbox) -> str:
    body = {"appKey": "ding-test-app", "appSecret": "test-secret"}
    async with http.post(f"{sb.base_url}/v1.0/oauth2/accessToken", json=body) as resp:
        assert resp.status == 200
        answer = await resp.json()
    assert answer["expireIn"] <= 7200
    return str(answer["accessToken"])


async def _call(
    http: aiohttp.ClientSession,
    sb: DingTalkSandbox,
    path: str,
    body: dict[str, Any],
    token: str | None,
    method: str = "POST",
) -> tuple[int, dict[str, Any]]:
    headers = {TOKEN_HEADER: token} if token else {}
    async with http.request(method, sb.base_url + path, json=body, headers=headers) as resp:
        return resp.status, await resp.json()


async def _create_card(
    http: aiohttp.ClientSession, sb: DingTalkSandbox, token: str, out_track_id: str, space: str
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "cardTemplateId": "tpl-1.schema",
        "outTrackId": out_track_id,
        "cardData": {"cardParamMap": {"title": "请确认", "status": "待确认"}},
        "callbackType": "STREAM",
        "openSpaceId": space,
    }
    if "IM_ROBOT" in space:
        body["imRobotOpenDeliverModel"] = {"spaceType": "IM_ROBOT"}
    else:
        body["imGroupOpenDeliverModel"] = {"robotCode": "ding-test-app"}
    status, answer = await _call(http, sb, "/v1.0/card/instances/createAndDeliver", body, token)
    assert status == 200, answer
    return answer


def _oto(user_ids: list[str], msg_key: str, param: dict[str, str]) -> dict[str, Any]:
    return {
        "robotCode": "ding-test-app",
        "userIds": user_ids,
        "msgKey": msg_key,
        "msgParam": json.dumps(param, ensure_ascii=False),
    }


async def test_token_and_authentication(sandbox: DingTalkSandbox) -> None:
    async with aiohttp.ClientSession() as http:
        wrong = {"appKey": "ding-test-app", "appSecret": "nope"}
        async with http.post(f"{sandbox.base_url}/v1.0/oauth2/accessToken", json=wrong) as resp:
            assert resp.status == 400
            answer = await resp.json()
        assert answer["code"] == "invalidClientIdOrSecret" and "requestid" in answer
        token = await _token(http, sandbox)
        assert await _token(http, sandbox) == token  # same token while it is valid
        assert sandbox.token_requests == 3
        body = _oto(["zhangsan"], "sampleText", {"content": "hi"})
        status, answer = await _call(http, sandbox, "/v1.0/robot/oToMessages/batchSend", body, "x")
        assert (status, answer["code"]) == (400, "InvalidAuthentication")
        sandbox.expire_tokens()
        status, answer = await _call(
            http, sandbox, "/v1.0/robot/oToMessages/batchSend", body, token
        )
        assert (status, answer["code"]) == (400, "InvalidAuthentication")
        assert sandbox.violations == []  # refused, but not for the call's shape
        fresh = await _token(http, sandbox)
        assert fresh != token
        status, _ = await _call(http, sandbox, "/v1.0/robot/oToMessages/batchSend", body, fresh)
        assert status == 200
        status, answer = await _call(http, sandbox, "/v1.0/robot/oToMessages/batchSend", body, None)
        assert answer["code"] == "AuthenticationFailed.MissingParameter"
    assert len(sandbox.violations) == 1


async def test_batch_send_reports_invalid_and_flow_controlled(sandbox: DingTalkSandbox) -> None:
    sandbox.flow_control("lisi")
    param = {
        "title": "通知",
        "text": "请[确认](dtmd://dingtalkclient/sendMessage?content=%E7%A1%AE%E8%AE%A4)",
    }
    async with aiohttp.ClientSession() as http:
        token = await _token(http, sandbox)
        body = _oto(["zhangsan", "lisi", "ghost"], "sampleMarkdown", param)
        status, answer = await _call(
            http, sandbox, "/v1.0/robot/oToMessages/batchSend", body, token
        )
    assert status == 200 and answer["processQueryKey"]
    assert answer["invalidStaffIdList"] == ["ghost"]
    assert answer["flowControlledStaffIdList"] == ["lisi"]
    [sent] = sandbox.sent
    assert (sent.kind, sent.to, sent.msg_key) == ("oto", "zhangsan", "sampleMarkdown")
    assert sent.params == param and sent.text == param["text"]
    assert sent.buttons == [
        ("确认", "dtmd://dingtalkclient/sendMessage?content=%E7%A1%AE%E8%AE%A4")
    ]
    assert sandbox.messages_to("lisi") == [] and sandbox.violations == []


async def test_tap_sends_the_button_text_back(
    sandbox: DingTalkSandbox, sdk_patched: Callable[[str], None]
) -> None:
    param = {
        "title": "选择",
        "text": "今天去哪个村？",
        "actionTitle1": "东村",
        "actionURL1": "dtmd://dingtalkclient/sendMessage?content=%E4%B8%9C%E6%9D%91",
        "actionTitle2": "西村",
        "actionURL2": "dtmd://dingtalkclient/sendMessage?content=%E8%A5%BF%E6%9D%91",
    }
    async with aiohttp.ClientSession() as http:
        token = await _token(http, sandbox)
        body = {
            "robotCode": "ding-test-app",
            "openConversationId": GROUP,
            "msgKey": "sampleActionCard2",
            "msgParam": json.dumps(param, ensure_ascii=False),
        }
        status, answer = await _call(http, sandbox, "/v1.0/robot/groupMessages/send", body, token)
    assert status == 200 and answer["processQueryKey"]
    card = await sandbox.wait_for(lambda s: s.to == GROUP)
    assert card.kind == "group" and [label for label, _ in card.buttons] == ["东村", "西村"]
    sdk_patched(sandbox.base_url)
    client = SdkClient(sandbox.base_url)
    client.start()
    try:
        msg_id = await sandbox.tap("lisi", card, 1)
        await sandbox.wait_acked(msg_id)
    finally:
        client.stop()
    incoming = ChatbotMessage.from_dict(client.messages[0])
    assert incoming.text.content.strip() == "西村" and incoming.conversation_id == GROUP


async def test_group_send_and_shape_violations(sandbox: DingTalkSandbox) -> None:
    sandbox.add_group("cidNoRobot==", "无机器人群", ["zhangsan"], robot_in=False)
    path = "/v1.0/robot/groupMessages/send"
    base = {"robotCode": "ding-test-app", "openConversationId": GROUP, "msgKey": "sampleText"}
    async with aiohttp.ClientSession() as http:
        token = await _token(http, sandbox)
        bad_calls: list[tuple[str, dict[str, Any]]] = [
            (path, {**base, "msgParam": {"content": "not a string"}}),
            (path, {**base, "msgParam": json.dumps({"text": "wrong key"})}),
            (path, {**base, "msgKey": "samplePicture", "msgParam": "{}"}),
            (path, {**base, "openConversationId": "cidNoRobot==", "msgParam": '{"content":"x"}'}),
            (path, {**base, "msgParam": json.dumps({"content": "长" * 6000})}),
            (path, {**base, "robotCode": "other", "msgParam": '{"content":"x"}'}),
            (
                "/v1.0/robot/oToMessages/batchSend",
                _oto([f"u{i}" for i in range(21)], "sampleText", {"content": "x"}),
            ),
            ("/v1.0/robot/oToMessages/batchSend", _oto([], "sampleText", {"content": "x"})),
            ("/v1.0/robot/nonexistent", {}),
        ]
        for bad_path, body in bad_calls:
            status, answer = await _call(http, sandbox, bad_path, body, token)
            assert status in (400, 404) and answer["code"], (bad_path, body)
        assert len(sandbox.violations) == len(bad_calls)
        assert sandbox.sent == []
        good = {**base, "msgParam": json.dumps({"content": "大家好"}, ensure_ascii=False)}
        status, _ = await _call(http, sandbox, path, good, token)
    assert status == 200
    assert [(s.kind, s.to, s.text) for s in sandbox.sent] == [("group", GROUP, "大家好")]


async def test_fail_next(sandbox: DingTalkSandbox) -> None:
    path = "/v1.0/robot/oToMessages/batchSend"
    sandbox.fail_next(path, 403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "限流", times=2)
    body = _oto(["zhangsan"], "sampleText", {"content": "hi"})
    async with aiohttp.ClientSession() as http:
        token = await _token(http, sandbox)
        results = [await _call(http, sandbox, path, body, token) for _ in range(3)]
    assert [status for status, _ in results] == [403, 403, 200]
    assert results[0][1]["code"] == "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"
    assert results[0][1]["message"] == "限流" and "requestid" in results[0][1]
    assert len(sandbox.sent) == 1 and sandbox.violations == []


async def test_cards_create_update(sandbox: DingTalkSandbox) -> None:
    async with aiohttp.ClientSession() as http:
        token = await _token(http, sandbox)
        answer = await _create_card(http, sandbox, token, "c-g", f"dtv1.card//IM_GROUP.{GROUP}")
        assert answer["success"] is True
        assert answer["result"]["outTrackId"] == "c-g"
        assert answer["result"]["deliverResults"][0]["spaceId"] == GROUP
        card = sandbox.cards["c-g"]
        assert (card.template_id, card.space_type, card.space_id) == (
            "tpl-1.schema",
            "IM_GROUP",
            GROUP,
        )
        sent = await sandbox.wait_for(lambda s: s.kind == "card")
        assert sent.out_track_id == "c-g" and sent.to == GROUP and sent.text == "请确认"

        update = {"outTrackId": "c-g", "cardData": {"cardParamMap": {"status": "已完成"}}}
        status, answer = await _call(http, sandbox, "/v1.0/card/instances", update, token, "PUT")
        assert status == 200 and answer["success"] is True
        assert card.card_param_map == {"status": "已完成"}  # replaced: not updateCardDataByKey
        by_key = {
            **update,
            "cardData": {"cardParamMap": {"title": "新"}},
            "cardUpdateOptions": {"updateCardDataByKey": True},
        }
        await _call(http, sandbox, "/v1.0/card/instances", by_key, token, "PUT")
        assert card.card_param_map == {"status": "已完成", "title": "新"}
        assert len(card.history) == 3

        unknown = {**update, "outTrackId": "nope"}
        status, _ = await _call(http, sandbox, "/v1.0/card/instances", unknown, token, "PUT")
        assert status == 400
        await _create_card(http, sandbox, token, "c-1", "dtv1.card//IM_ROBOT.zhangsan")
        body = {
            "cardTemplateId": "t",
            "outTrackId": "c-1",
            "callbackType": "STREAM",
            "cardData": {"cardParamMap": {"n": 1}},
            "openSpaceId": "IM_ROBOT.zhangsan",
        }
        status, _ = await _call(http, sandbox, "/v1.0/card/instances/createAndDeliver", body, token)
        assert status == 400
    assert len(sandbox.violations) == 2  # unknown outTrackId; duplicate id / bad map & space


async def test_file_download(sandbox: DingTalkSandbox) -> None:
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    code_of: dict[str, str] = {}

    async def capture(data: dict[str, Any]) -> str:
        code_of[data["msgtype"]] = data["content"]["downloadCode"]
        return str(data["msgId"])

    sandbox._deliver = capture  # type: ignore[method-assign]  # no client needed here
    await sandbox.send_picture("zhangsan", picture)
    await sandbox.send_audio("zhangsan", "明天下午开会")
    async with aiohttp.ClientSession() as http:
        token = await _token(http, sandbox)
        body = {"downloadCode": code_of["picture"], "robotCode": "ding-test-app"}
        path = "/v1.0/robot/messageFiles/download"
        status, answer = await _call(http, sandbox, path, body, token)
        assert status == 200
        async with http.get(answer["downloadUrl"]) as resp:
            assert await resp.read() == picture
        body["downloadCode"] = code_of["audio"]
        status, answer = await _call(http, sandbox, path, body, token)
        async with http.get(answer["downloadUrl"]) as resp:
            assert (await resp.read()).startswith(b"OggS")
    assert sandbox.violations == []


async def test_audio_frame_shape(sandbox: DingTalkSandbox) -> None:
    frames: list[dict[str, Any]] = []

    async def capture(data: dict[str, Any]) -> str:
        frames.append(data)
        return str(data["msgId"])

    sandbox._deliver = capture  # type: ignore[method-assign]
    await sandbox.send_audio("zhangsan", "收到", duration_ms=4200)
    await sandbox.send_audio("zhangsan", None)
    assert frames[0]["msgtype"] == "audio"
    assert frames[0]["content"]["recognition"] == "收到"
    assert frames[0]["content"]["duration"] == 4200
    assert "recognition" not in frames[1]["content"]


async def test_session_webhook_and_expiry(sandbox: DingTalkSandbox) -> None:
    webhooks: list[str] = []

    async def capture(data: dict[str, Any]) -> str:
        webhooks.append(data["sessionWebhook"])
        return str(data["msgId"])

    sandbox._deliver = capture  # type: ignore[method-assign]
    await sandbox.say("zhangsan", "你好")
    await sandbox.say("lisi", "大家好", group=GROUP)
    async with aiohttp.ClientSession() as http:
        text = {"msgtype": "text", "text": {"content": "收到"}}
        async with http.post(webhooks[0], json=text) as resp:
            assert resp.status == 200 and await resp.json() == {"errcode": 0, "errmsg": "ok"}
        card = {
            "msgtype": "actionCard",
            "actionCard": {
                "title": "t",
                "text": "选一个",
                "btns": [
                    {"title": "好", "actionURL": "dtmd://dingtalkclient/sendMessage?content=ok"}
                ],
            },
        }
        async with http.post(webhooks[1], json=card) as resp:
            assert (await resp.json())["errcode"] == 0
        async with http.post(webhooks[0], json={"msgtype": "image"}) as resp:
            assert (await resp.json())["errcode"] != 0
        sandbox.expire_sessions()
        async with http.post(webhooks[0], json=text) as resp:
            assert resp.status == 200
            expired = await resp.json()
    assert expired["errcode"] != 0 and expired["errmsg"]
    assert [(s.kind, s.to, s.text) for s in sandbox.sent] == [
        ("webhook", "zhangsan", "收到"),
        ("webhook", GROUP, "选一个"),
    ]
    assert sandbox.sent[1].buttons == [("好", "dtmd://dingtalkclient/sendMessage?content=ok")]
    assert len(sandbox.violations) == 1  # the unsupported msgtype; expiry is not a violation


async def test_get_by_mobile(sandbox: DingTalkSandbox) -> None:
    async with aiohttp.ClientSession() as http:
        token = await _token(http, sandbox)
        url = f"{sandbox.base_url}/topapi/v2/user/getbymobile?access_token={token}"
        async with http.post(url, json={"mobile": "13800000001"}) as resp:
            found = await resp.json()
        async with http.post(url, json={"mobile": "13900000000"}) as resp:
            missing = await resp.json()
    assert found["errcode"] == 0 and found["result"]["userid"] == "zhangsan"
    assert missing["errcode"] == 60121


async def test_group_messages_without_at_do_not_reach_the_robot(sandbox: DingTalkSandbox) -> None:
    frames: list[dict[str, Any]] = []
    original = sandbox._push

    async def capture(type_: str, topic: str, data: dict[str, Any]) -> str:
        frames.append(data)
        return "frame"

    sandbox._push = capture  # type: ignore[method-assign]
    await sandbox.say("lisi", "闲聊", group=GROUP, at_bot=False)
    await sandbox.say("lisi", "@助手 打卡", group=GROUP)
    sandbox._push = original  # type: ignore[method-assign]
    assert [f["text"]["content"] for f in frames] == [" @助手 打卡"]
