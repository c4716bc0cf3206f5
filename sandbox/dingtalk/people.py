"""People using DingTalk: what they say, send and press reaches the bot as CALLBACK frames
shaped like DingTalk's (spec §1.8, §2, §10)."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from sandbox.dingtalk.gateway import BOT_MESSAGE_TOPIC, CARD_CALLBACK_TOPIC, Pushed
from sandbox.dingtalk.oapi import OldApi
from sandbox.dingtalk.records import Sent, sent_message_content

FAKE_AUDIO = b"OggS\x00\x02" + b"\x00" * 64


class People(OldApi):
    """``say``/``send_picture``/``send_audio``/``press``/``tap``: each returns the id a test
    can wait on (the message's msgId, or for presses the frame's messageId)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._frame_of_msg: dict[str, str] = {}  # msgId -> frame messageId
        self._press_frames: dict[str, str] = {}  # frame messageId -> outTrackId

    def _message_data(
        self, staff_id: str, msgtype: str, group: str | None, at_bot: bool
    ) -> dict[str, Any]:
        user = self.user(staff_id)
        now = int(time.time() * 1000)
        msg_id = "msg" + secrets.token_urlsafe(18)
        if group is not None:
            chat = self.groups.get(group)
            if chat is None or staff_id not in chat.members:
                raise ValueError(f"{staff_id} is not a member of group {group}")
            cid, to, is_group = group, group, True
        else:
            cid, to, is_group = user.private_cid, staff_id, False
        webhook, expires = self._new_session(to, is_group, now)
        data: dict[str, Any] = {
            "conversationId": cid,
            "conversationType": "2" if is_group else "1",
            "msgId": msg_id,
            "senderNick": user.nick,
            "isAdmin": False,
            "senderStaffId": staff_id,
            "sessionWebhookExpiredTime": expires,
            "createAt": now,
            "senderCorpId": self.corp_id,
            "senderId": user.dingtalk_id,
            "isInAtList": at_bot or not is_group,
            "sessionWebhook": webhook,
            "chatbotCorpId": self.corp_id,
            "chatbotUserId": self.chatbot_user_id,
            "robotCode": self.robot_code,
            "msgtype": msgtype,
        }
        if is_group:
            data["conversationTitle"] = self.groups[group or ""].title
            data["atUsers"] = [{"dingtalkId": self.chatbot_user_id}] if at_bot else []
        return data

    async def _deliver(self, data: dict[str, Any]) -> str:
        if data["conversationType"] == "2" and not data["isInAtList"]:
            # In groups the robot only receives messages that @ it (Stream mode).
            return str(data["msgId"])
        frame_id = await self._push("CALLBACK", BOT_MESSAGE_TOPIC, data)
        self._frame_of_msg[data["msgId"]] = frame_id
        return str(data["msgId"])

    async def say(
        self, staff_id: str, text: str, *, group: str | None = None, at_bot: bool = True
    ) -> str:
        """A text message to the robot: 1:1 unless ``group``; in a group it reaches the robot
        only when it @s it (then, as on DingTalk, the content starts with a space)."""
        data = self._message_data(staff_id, "text", group, at_bot)
        data["text"] = {"content": f" {text}" if group is not None else text}
        return await self._deliver(data)

    async def send_picture(self, staff_id: str, data: bytes) -> str:
        """A picture in the 1:1 chat; its bytes come back via messageFiles/download."""
        message = self._message_data(staff_id, "picture", None, True)
        code = self._new_file(data)
        message["content"] = {"downloadCode": code, "pictureDownloadCode": code}
        return await self._deliver(message)

    async def send_audio(
        self,
        staff_id: str,
        recognition: str | None,
        *,
        duration_ms: int = 3000,
        data: bytes = FAKE_AUDIO,
    ) -> str:
        """A voice message in the 1:1 chat; ``recognition`` is DingTalk's speech-to-text
        (None: omitted, as DingTalk does when it recognised nothing)."""
        message = self._message_data(staff_id, "audio", None, True)
        content: dict[str, Any] = {"duration": duration_ms, "downloadCode": self._new_file(data)}
        if recognition is not None:
            content["recognition"] = recognition
        message["content"] = content
        return await self._deliver(message)

    async def press(
        self,
        staff_id: str,
        out_track_id: str,
        params: dict[str, str],
        *,
        action_id: str = "press",
    ) -> str:
        """The person presses a callback button on a card; returns the frame's messageId."""
        self.user(staff_id)
        card = self.cards.get(out_track_id)
        if card is None:
            raise KeyError(f"no card {out_track_id!r} was delivered")
        content = {"cardPrivateData": {"actionIds": [action_id], "params": params}}
        data = {
            "type": "actionCallback",
            "outTrackId": out_track_id,
            "corpId": self.corp_id,
            "userId": staff_id,
            "userIdType": 1,
            "spaceType": card.space_type,
            "spaceId": card.space_id,
            "extension": "{}",
            "content": json.dumps(content, ensure_ascii=False),
        }
        frame_id = await self._push("CALLBACK", CARD_CALLBACK_TOPIC, data)
        self._press_frames[frame_id] = out_track_id
        return frame_id

    async def tap(self, staff_id: str, message: Sent, index: int) -> str:
        """The person taps button ``index`` of a sent message whose button is a
        ``dtmd://dingtalkclient/sendMessage?content=X`` link: they say X in that chat."""
        if not 0 <= index < len(message.buttons):
            raise IndexError(f"message has {len(message.buttons)} buttons: {message.buttons}")
        text = sent_message_content(message.buttons[index][1])
        group = message.to if message.to in self.groups else None
        return await self.say(staff_id, text, group=group)

    def frame_id(self, msg_id: str) -> str:
        """The messageId of the frame that carried message ``msg_id``."""
        return self._frame_of_msg[msg_id]

    def acked(self, message_id: str) -> bool:
        return super().acked(self._frame_of_msg.get(message_id, message_id))

    async def wait_acked(self, message_id: str, timeout: float = 10) -> dict[str, Any]:  # noqa: ASYNC109
        """Accepts a msgId (from say & co.) or a frame messageId (press, ping)."""
        return await super().wait_acked(self._frame_of_msg.get(message_id, message_id), timeout)

    async def redeliver(self, message_id: str) -> None:
        await super().redeliver(self._frame_of_msg.get(message_id, message_id))

    def _after_ack(self, pushed: Pushed, ack: dict[str, Any]) -> None:
        super()._after_ack(pushed, ack)
        out_track_id = self._press_frames.get(pushed.frame["headers"]["messageId"])
        card = self.cards.get(out_track_id or "")
        if card is None or not isinstance(ack.get("data"), str):
            return
        try:
            response = json.loads(ack["data"]).get("response")
            if isinstance(response, str):
                response = json.loads(response)
        except (ValueError, AttributeError):
            return
        card_data = response.get("cardData") if isinstance(response, dict) else None
        params = card_data.get("cardParamMap") if isinstance(card_data, dict) else None
        if isinstance(params, dict) and params:
            if not all(isinstance(v, str) for v in params.values()):
                self._violation(f"card callback response: cardParamMap values not strings {params}")
                return
            self._apply_card_update(card, params, by_key=True)
