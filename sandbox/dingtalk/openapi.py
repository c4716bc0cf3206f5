"""The robot OpenAPI (new ``/v1.0/...`` family, token in ``x-acs-dingtalk-access-token``):
token, 1:1 batch send, group send, card instances, message-file download (spec §3-§9)."""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any

from sandbox.dingtalk.gateway import Gateway
from sandbox.dingtalk.records import (
    ApiError,
    Card,
    Sent,
    check_msg_param,
    message_text,
    msg_key_buttons,
)
from sandbox.dingtalk.state import StoredFile

MAX_USER_IDS = 20
MAX_GROUP_PARAM_BYTES = 15000
TOKEN_HEADER = "x-acs-dingtalk-access-token"
_OPEN_SPACE = re.compile(r"dtv1\.card//(IM_ROBOT|IM_GROUP)\.(.+)")


def _bad(message: str, code: str = "invalidParameter") -> ApiError:
    return ApiError(400, code, message, violation=True)


def _str_field(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise _bad(
            f"{key}须为非空字符串", "MissingParameter" if value is None else "invalidParameter"
        )
    return value


class OpenApi(Gateway):
    """Handlers: ``(path, method) -> handler(body) -> answer``; ApiError for refusals."""

    def _authenticate(self, token: str | None) -> None:
        if not token:
            raise ApiError(
                400,
                "AuthenticationFailed.MissingParameter",
                "缺少x-acs-dingtalk-access-token",
                violation=True,
            )
        if not self._token_ok(token):
            raise ApiError(400, "InvalidAuthentication", "不合法的access_token")

    async def _access_token(self, body: dict[str, Any]) -> dict[str, Any]:
        self.token_requests += 1
        if not isinstance(body.get("appKey"), str) or not isinstance(body.get("appSecret"), str):
            raise _bad("appKey/appSecret缺失", "MissingParameter")
        if body["appKey"] != self.client_id or body["appSecret"] != self.client_secret:
            raise ApiError(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
        token = self._issue_token()
        return {"accessToken": token.value, "expireIn": int(token.expires_at - time.time())}

    def _check_robot_code(self, body: dict[str, Any]) -> None:
        if _str_field(body, "robotCode") != self.robot_code:
            raise _bad(f"robotCode {body['robotCode']!r} 不是本应用的机器人", "robot.notExisted")

    async def _batch_send(self, body: dict[str, Any]) -> dict[str, Any]:
        self._check_robot_code(body)
        user_ids = body.get("userIds")
        if not isinstance(user_ids, list) or not user_ids:
            raise _bad("userIds须为非空字符串数组")
        if len(user_ids) > MAX_USER_IDS or not all(isinstance(u, str) for u in user_ids):
            raise _bad(f"userIds须为1到{MAX_USER_IDS}个字符串")
        msg_key = _str_field(body, "msgKey")
        param = check_msg_param(msg_key, body.get("msgParam"))
        invalid: list[str] = []
        throttled: list[str] = []
        for staff_id in user_ids:
            if staff_id not in self.users:
                invalid.append(staff_id)
            elif self._take_flow_control(staff_id):
                throttled.append(staff_id)
            else:
                self._record_msg("oto", staff_id, msg_key, param)
        return {
            "processQueryKey": secrets.token_urlsafe(24),
            "invalidStaffIdList": invalid,
            "flowControlledStaffIdList": throttled,
        }

    async def _group_send(self, body: dict[str, Any]) -> dict[str, Any]:
        self._check_robot_code(body)
        cid = _str_field(body, "openConversationId")
        group = self.groups.get(cid)
        if group is None or not group.robot_in:
            # Code assumed (undocumented): the robot is not in that group.
            raise _bad(f"机器人不在群{cid}中", "robot.notInGroup")
        msg_key = _str_field(body, "msgKey")
        raw = body.get("msgParam")
        if isinstance(raw, str) and len(raw.encode()) > MAX_GROUP_PARAM_BYTES:
            raise _bad(f"msgParam超过{MAX_GROUP_PARAM_BYTES}字节")
        param = check_msg_param(msg_key, raw)
        self._record_msg("group", cid, msg_key, param)
        return {"processQueryKey": secrets.token_urlsafe(24)}

    def _record_msg(self, kind: str, to: str, msg_key: str, param: dict[str, Any]) -> None:
        buttons = msg_key_buttons(msg_key, param)
        self._record(Sent(kind, to, msg_key, param, message_text(param), buttons, None, _now()))

    # ------------------------------------------------------------------ cards

    @staticmethod
    def _param_map(body: dict[str, Any]) -> dict[str, str]:
        card_data = body.get("cardData")
        params = card_data.get("cardParamMap") if isinstance(card_data, dict) else None
        if not isinstance(params, dict):
            raise _bad("cardData.cardParamMap须为对象")
        bad = [k for k, v in params.items() if not isinstance(v, str)]
        if bad:
            raise _bad(f"cardParamMap的值须为字符串: {bad}")
        return dict(params)

    async def _create_and_deliver(self, body: dict[str, Any]) -> dict[str, Any]:
        template = _str_field(body, "cardTemplateId")
        out_track_id = _str_field(body, "outTrackId")
        if out_track_id in self.cards:
            raise _bad(f"outTrackId {out_track_id} 已存在", "param.outTrackIdDuplicated")
        params = self._param_map(body)
        if body.get("callbackType") != "STREAM":
            raise _bad("callbackType须为STREAM (Stream模式回调)")
        space = _str_field(body, "openSpaceId")
        match = _OPEN_SPACE.fullmatch(space)
        if match is None:
            raise _bad(f"openSpaceId {space!r} 须为dtv1.card//IM_ROBOT.<userId>或IM_GROUP.<cid>")
        space_type, space_id = match.group(1), match.group(2)
        if space_type == "IM_ROBOT":
            model = body.get("imRobotOpenDeliverModel")
            if not isinstance(model, dict) or model.get("spaceType") != "IM_ROBOT":
                raise _bad('IM_ROBOT须带imRobotOpenDeliverModel {"spaceType":"IM_ROBOT"}')
            if space_id not in self.users:
                raise _bad(f"用户{space_id}不存在", "param.userNotExist")
        else:
            model = body.get("imGroupOpenDeliverModel")
            if not isinstance(model, dict) or model.get("robotCode") != self.robot_code:
                raise _bad("IM_GROUP须带imGroupOpenDeliverModel {robotCode}")
            group = self.groups.get(space_id)
            if group is None or not group.robot_in:
                raise _bad(f"机器人不在群{space_id}中", "robot.notInGroup")
        card = Card(out_track_id, template, params, space_type, space_id, "STREAM", [dict(params)])
        self.cards[out_track_id] = card
        self._record(
            Sent(
                "card",
                space_id,
                template,
                params,
                message_text(params),
                _card_buttons(params),
                out_track_id,
                _now(),
            ),
        )
        return {
            "success": True,
            "result": {
                "outTrackId": out_track_id,
                "deliverResults": [
                    {
                        "spaceType": space_type,
                        "spaceId": space_id,
                        "success": True,
                        "errorMsg": "",
                        "carrierId": secrets.token_hex(8),
                    }
                ],
            },
        }

    async def _update_card(self, body: dict[str, Any]) -> dict[str, Any]:
        out_track_id = _str_field(body, "outTrackId")
        card = self.cards.get(out_track_id)
        if card is None:
            raise _bad(f"卡片{out_track_id}不存在", "param.cardNotExist")
        params = self._param_map(body)
        options = body.get("cardUpdateOptions")
        by_key = isinstance(options, dict) and options.get("updateCardDataByKey") is True
        self._apply_card_update(card, params, by_key)
        return {"success": True, "result": True}

    def _apply_card_update(self, card: Card, params: dict[str, str], by_key: bool) -> None:
        card.card_param_map = {**card.card_param_map, **params} if by_key else dict(params)
        card.history.append(dict(card.card_param_map))
        self._notify()

    async def wait_card(self, out_track_id: str, predicate: Any, timeout: float = 10) -> Card:  # noqa: ASYNC109
        """Wait until the card exists and ``predicate(card_param_map)`` holds."""

        def ok() -> Card | None:
            card = self.cards.get(out_track_id)
            return card if card is not None and predicate(card.card_param_map) else None

        return await self._until(ok, timeout, f"card {out_track_id}")

    # ------------------------------------------------------------------ files

    async def _download(self, body: dict[str, Any]) -> dict[str, Any]:
        self._check_robot_code(body)
        code = _str_field(body, "downloadCode")
        stored = self.files.get(code)
        if stored is None:
            raise _bad(f"downloadCode {code[:20]}... 无效", "invalidParameter.downloadCode")
        return {"downloadUrl": f"{self.base_url}/files/{stored.url_key}"}

    def _file_bytes(self, url_key: str) -> bytes | None:
        return next((f.data for f in self.files.values() if f.url_key == url_key), None)

    def _new_file(self, data: bytes) -> str:
        code = secrets.token_urlsafe(48)
        self.files[code] = StoredFile(data)
        return code


def _card_buttons(params: dict[str, str]) -> list[tuple[str, str]]:
    """``msgButtons`` of the SDK's markdown+buttons template: ``[{"text", "url"}]``."""
    try:
        raw = json.loads(params.get("msgButtons", "[]"))
    except ValueError:
        return []
    if not isinstance(raw, list):
        return []
    return [(str(b.get("text", "")), str(b.get("url", ""))) for b in raw if isinstance(b, dict)]


def _now() -> float:
    return time.monotonic()
