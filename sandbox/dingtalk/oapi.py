"""The old-style endpoints (HTTP 200 + ``{errcode, errmsg}``): replying through an incoming
message's ``sessionWebhook`` (spec §8) and ``/topapi/v2/user/getbymobile`` (spec §13)."""

from __future__ import annotations

import secrets
import time
from typing import Any

from sandbox.dingtalk.openapi import OpenApi, _now
from sandbox.dingtalk.records import Sent, markdown_buttons

# Assumption: DingTalk's code for an expired / unknown session webhook is not documented in
# the sources at hand (spec §8); 300001 is the custom-robot family's "token/session invalid".
SESSION_EXPIRED = 300001
BAD_PARAM = 40035  # 不合法的参数 (old API)
USER_NOT_FOUND = 60121
TOKEN_INVALID = 88  # with sub_code 40014 不合法的access_token (spec §12)


class OldApiError(Exception):
    def __init__(self, errcode: int, errmsg: str, *, violation: bool = False) -> None:
        super().__init__(f"{errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.violation = violation


def _bad(message: str) -> OldApiError:
    return OldApiError(BAD_PARAM, f"不合法的参数: {message}", violation=True)


def _strings(block: object, keys: tuple[str, ...], where: str) -> dict[str, Any]:
    if not isinstance(block, dict):
        raise _bad(f"{where}须为对象")
    missing = [k for k in keys if not isinstance(block.get(k), str) or not block[k]]
    if missing:
        raise _bad(f"{where}缺少{missing}")
    return block


class OldApi(OpenApi):
    """sendBySession and getbymobile."""

    async def _send_by_session(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        session = self.sessions.get(key)
        if session is None or session.expired or session.expires_ms < time.time() * 1000:
            raise OldApiError(SESSION_EXPIRED, "session不存在或已过期")
        msgtype = body.get("msgtype")
        buttons: list[tuple[str, str]] = []
        if msgtype == "text":
            params = _strings(body.get("text"), ("content",), "text")
            text = params["content"]
        elif msgtype == "markdown":
            params = _strings(body.get("markdown"), ("title", "text"), "markdown")
            text = params["text"]
        elif msgtype == "actionCard":
            params = _strings(body.get("actionCard"), ("title", "text"), "actionCard")
            text = params["text"]
            if "singleTitle" in params or "singleURL" in params:
                _strings(params, ("singleTitle", "singleURL"), "actionCard")
                buttons.append((params["singleTitle"], params["singleURL"]))
            else:
                btns = params.get("btns")
                if not isinstance(btns, list) or not btns:
                    raise _bad("actionCard须有singleTitle/singleURL或btns")
                for btn in btns:
                    _strings(btn, ("title", "actionURL"), "actionCard.btns[]")
                    buttons.append((btn["title"], btn["actionURL"]))
        elif msgtype in ("link", "feedCard"):
            block = body.get(msgtype)
            if not isinstance(block, dict):
                raise _bad(f"{msgtype}须为对象")
            params = block
            text = str(params.get("text") or params.get("title") or "")
        else:
            raise _bad(f"不支持的msgtype {msgtype!r}")
        at = body.get("at")
        if at is not None and not isinstance(at, dict):
            raise _bad("at须为对象")
        buttons += markdown_buttons(text)
        sent = Sent("webhook", session.to, str(msgtype), dict(params), text, buttons, None, _now())
        self._record(sent)
        return {"errcode": 0, "errmsg": "ok"}

    async def _upload_media(
        self, token: str | None, kind: str, name: str, data: bytes
    ) -> dict[str, Any]:
        """``/media/upload``: a file kept for a later ``sampleFile`` (by its media id)."""
        if not self._token_ok(token):
            raise OldApiError(TOKEN_INVALID, "不合法的access_token")
        if kind not in {"image", "voice", "video", "file"}:
            raise _bad(f"type {kind!r}")
        if not data or not name:
            raise _bad("media缺失")
        media_id = "@" + secrets.token_urlsafe(18)
        self.media[media_id] = (name, data)
        return {"errcode": 0, "errmsg": "ok", "type": kind, "media_id": media_id, "created_at": 0}

    async def _get_by_mobile(self, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
        if not self._token_ok(token):
            raise OldApiError(TOKEN_INVALID, "不合法的access_token")
        mobile = body.get("mobile")
        if not isinstance(mobile, str) or not mobile:
            raise _bad("mobile缺失")
        user = next((u for u in self.users.values() if u.mobile == mobile), None)
        if user is None:
            raise OldApiError(USER_NOT_FOUND, "找不到该用户")
        return {
            "errcode": 0,
            "errmsg": "ok",
            "result": {"userid": user.staff_id, "exclusive_account_userid_list": []},
        }
