"""DingTalk's OpenAPI over aiohttp: the access token, robot messages, cards, files.

The SDK's own helpers use blocking ``requests`` and would stall the event loop, so every
call is made here. The access token is cached and fetched again five minutes before it
expires, or at once when DingTalk calls it invalid (one retry per call). Neither the
client secret nor a token is ever logged: errors carry DingTalk's code and message only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

TOKEN_HEADER = "x-acs-dingtalk-access-token"
REFRESH_MARGIN = 300.0  # seconds before expiry a token is fetched anew
TIMEOUT = aiohttp.ClientTimeout(total=10)  # within the relay's request timeout


class DingTalkError(Exception):
    """DingTalk refused a call: ``status`` is the HTTP status (200 for the older API, which
    answers errors with ``errcode``), ``code`` DingTalk's error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message

    @property
    def bad_credentials(self) -> bool:
        return self.code == "invalidClientIdOrSecret"

    @property
    def token_invalid(self) -> bool:
        return self.code in {"InvalidAuthentication", "40014", "88"}

    @property
    def throttled(self) -> bool:
        return self.status == 429 or "QpsLimit" in self.code or "QpmLimit" in self.code

    @property
    def server_side(self) -> bool:
        return self.status >= 500 or self.code in {"-1", "systemError", "ServiceUnavailable"}


@dataclass(frozen=True)
class BatchResult:
    """What ``oToMessages/batchSend`` answers: the send's key, and the users it did not
    reach (unknown or outside the organisation) or put off (sending to them too often)."""

    process_query_key: str
    invalid: tuple[str, ...] = ()
    flow_controlled: tuple[str, ...] = ()


class DingTalkApi:
    """One app's OpenAPI client. ``api_url``: the new API's base (``/v1.0/...``);
    ``oapi_url``: the older API's (file upload, contacts)."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        robot_code: str,
        api_url: str,
        oapi_url: str,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.client_id = client_id
        self._secret = client_secret
        self.robot_code = robot_code
        self.api_url = api_url.rstrip("/")
        self.oapi_url = oapi_url.rstrip("/")
        self._session = session
        self._own_session = session is None
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:  # never the secret or the token
        return f"DingTalkApi(client_id={self.client_id!r}, api_url={self.api_url!r})"

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT, trust_env=False)
            self._own_session = True
        return self._session

    # ------------------------------------------------------------------ token

    async def token(self, *, fresh: bool = False) -> str:
        async with self._lock:
            if fresh or self._token is None or time.monotonic() >= self._expires:
                answer = await self._request(
                    "POST",
                    f"{self.api_url}/v1.0/oauth2/accessToken",
                    {"appKey": self.client_id, "appSecret": self._secret},
                    token=None,
                )
                self._token = str(answer["accessToken"])
                lifetime = float(answer.get("expireIn", 7200))
                self._expires = time.monotonic() + max(lifetime - REFRESH_MARGIN, lifetime / 2)
            return self._token

    def forget_token(self) -> None:
        self._token = None

    # --------------------------------------------------------------- requests

    async def _request(
        self, method: str, url: str, body: dict[str, Any] | None, *, token: str | None
    ) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers[TOKEN_HEADER] = token
        async with self._http().request(
            method, url, data=json.dumps(body or {}, ensure_ascii=False), headers=headers
        ) as response:
            raw = await response.read()
            status = response.status
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        if status >= 400:
            raise DingTalkError(
                status,
                str(answer.get("code") or status),
                str(answer.get("message") or raw[:200].decode("utf-8", "replace")),
            )
        errcode = answer.get("errcode")
        if errcode not in (None, 0):  # the older API: HTTP 200 with an error code
            raise DingTalkError(status, str(errcode), str(answer.get("errmsg", "")))
        return answer

    async def call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A new-API call with the token; a token DingTalk calls invalid is fetched anew and
        the call made once more."""
        url = f"{self.api_url}{path}"
        try:
            return await self._request(method, url, body, token=await self.token())
        except DingTalkError as exc:
            if not exc.token_invalid:
                raise
            log.info("DingTalk token refused (%s); fetching a new one", exc.code)
        return await self._request(method, url, body, token=await self.token(fresh=True))

    async def _oapi(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        for fresh in (False, True):
            url = f"{self.oapi_url}{path}?access_token={await self.token(fresh=fresh)}"
            try:
                return await self._request("POST", url, body, token=None)
            except DingTalkError as exc:
                if fresh or not exc.token_invalid:
                    raise
        raise AssertionError("unreachable")

    # ---------------------------------------------------------------- robots

    async def send_to_users(
        self, user_ids: list[str], msg_key: str, msg_param: dict[str, Any]
    ) -> BatchResult:
        answer = await self.call(
            "POST",
            "/v1.0/robot/oToMessages/batchSend",
            {
                "robotCode": self.robot_code,
                "userIds": user_ids,
                "msgKey": msg_key,
                "msgParam": json.dumps(msg_param, ensure_ascii=False),
            },
        )
        return BatchResult(
            str(answer.get("processQueryKey", "")),
            tuple(answer.get("invalidStaffIdList") or ()),
            tuple(answer.get("flowControlledStaffIdList") or ()),
        )

    async def send_to_group(
        self, conversation_id: str, msg_key: str, msg_param: dict[str, Any]
    ) -> str:
        answer = await self.call(
            "POST",
            "/v1.0/robot/groupMessages/send",
            {
                "robotCode": self.robot_code,
                "openConversationId": conversation_id,
                "msgKey": msg_key,
                "msgParam": json.dumps(msg_param, ensure_ascii=False),
            },
        )
        return str(answer.get("processQueryKey", ""))

    async def send_card(
        self,
        out_track_id: str,
        template_id: str,
        params: dict[str, str],
        *,
        user_id: str | None = None,
        conversation_id: str | None = None,
    ) -> None:
        """An interactive card whose buttons call back over Stream, to one user's chat with
        the robot or into a group."""
        body: dict[str, Any] = {
            "cardTemplateId": template_id,
            "outTrackId": out_track_id,
            "cardData": {"cardParamMap": params},
            "callbackType": "STREAM",
        }
        if conversation_id is not None:
            body["openSpaceId"] = f"dtv1.card//IM_GROUP.{conversation_id}"
            body["imGroupOpenSpaceModel"] = {"supportForward": False}
            body["imGroupOpenDeliverModel"] = {"robotCode": self.robot_code}
        else:
            body["openSpaceId"] = f"dtv1.card//IM_ROBOT.{user_id}"
            body["imRobotOpenSpaceModel"] = {"supportForward": False}
            body["imRobotOpenDeliverModel"] = {"spaceType": "IM_ROBOT"}
        answer = await self.call("POST", "/v1.0/card/instances/createAndDeliver", body)
        result = answer.get("result") or {}
        failed = [r for r in result.get("deliverResults") or () if not r.get("success", True)]
        if answer.get("success") is False or failed:
            reason = failed[0].get("errorMsg", "") if failed else ""
            raise DingTalkError(200, "card.deliverFailed", str(reason))

    async def update_card(self, out_track_id: str, params: dict[str, str]) -> None:
        await self.call(
            "PUT",
            "/v1.0/card/instances",
            {
                "outTrackId": out_track_id,
                "cardData": {"cardParamMap": params},
                "cardUpdateOptions": {"updateCardDataByKey": True},
            },
        )

    async def download(self, download_code: str) -> bytes:
        """A file people sent the robot (a picture, a voice message)."""
        answer = await self.call(
            "POST",
            "/v1.0/robot/messageFiles/download",
            {"downloadCode": download_code, "robotCode": self.robot_code},
        )
        async with self._http().get(str(answer["downloadUrl"])) as response:
            response.raise_for_status()
            return await response.read()

    async def upload(self, name: str, data: bytes) -> str:
        """A file to send (``sampleFile``): the older API's media upload, its media id."""
        for fresh in (False, True):
            form = aiohttp.FormData()
            form.add_field("media", data, filename=name, content_type="application/octet-stream")
            token = await self.token(fresh=fresh)
            url = f"{self.oapi_url}/media/upload?type=file&access_token={token}"
            async with self._http().post(url, data=form) as response:
                status = response.status
                answer = await response.json(content_type=None)
            errcode = str(answer.get("errcode", 0)) if isinstance(answer, dict) else "?"
            if status < 400 and errcode == "0":
                return str(answer["media_id"])
            error = DingTalkError(
                status, errcode, str(answer.get("errmsg", "")) if isinstance(answer, dict) else ""
            )
            if fresh or not error.token_invalid:
                raise error
        raise AssertionError("unreachable")

    async def user_by_mobile(self, mobile: str) -> str | None:
        """The staff id of the organisation's member with this mobile number, None when
        there is none (needs the app's contact permission)."""
        try:
            answer = await self._oapi("/topapi/v2/user/getbymobile", {"mobile": mobile})
        except DingTalkError as exc:
            if exc.code == "60121":  # no such member
                return None
            raise
        result = answer.get("result") or {}
        return str(result["userid"]) if result.get("userid") else None

    async def reply_by_session(self, webhook: str, body: dict[str, Any]) -> None:
        """A reply through a message's ``sessionWebhook`` (no token; valid for a while)."""
        await self._request("POST", webhook, body, token=None)
