"""A local DingTalk emulator: the Stream gateway and the robot OpenAPI on one loopback port.

The real ``dingtalk_stream`` SDK (or any client speaking the protocol) connects to it as it
would to api.dingtalk.com::

    sandbox = DingTalkSandbox()
    await sandbox.start()                  # base_url: gateway, OpenAPI and oapi all live here
    sandbox.add_user("zhangsan", "张三", mobile="13800000000")
    msg_id = await sandbox.say("zhangsan", "你好")
    await sandbox.wait_acked(msg_id)
    reply = await sandbox.wait_for(lambda s: s.to == "zhangsan")
    assert not sandbox.violations

Behaviour worth knowing, DingTalk's own where documented:

* In groups the robot only receives messages that @ it; their text starts with a space.
* batchSend reports unknown users in ``invalidStaffIdList`` and throttled ones in
  ``flowControlledStaffIdList`` with HTTP 200; nothing is delivered to them.
* A card press ACKed with ``{"cardData": {"cardParamMap": ...}}`` updates the card by key.
* Calls shaped wrongly are refused (HTTP 400 ``{code, message, requestid}``, or errcode for
  the old API) and listed in ``violations``; wrong credentials and expired tokens or
  sessions are refused without being violations.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from aiohttp import web

from sandbox.dingtalk.oapi import OldApiError
from sandbox.dingtalk.people import People
from sandbox.dingtalk.records import ApiError, request_id

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=partial(json.dumps, ensure_ascii=False))


class DingTalkSandbox(People):
    """The emulator; see the module docstring."""

    def __init__(
        self,
        client_id: str = "ding-test-app",
        client_secret: str = "test-secret",
        robot_code: str | None = None,
        corp_id: str = "ding-corp",
    ) -> None:
        super().__init__(client_id, client_secret, robot_code, corp_id)
        self._runner: web.AppRunner | None = None
        # (method, path) -> (handler, needs a token)
        self._routes: dict[tuple[str, str], tuple[Handler, bool]] = {
            ("POST", "/v1.0/gateway/connections/open"): (self._open_connection, False),
            ("POST", "/v1.0/oauth2/accessToken"): (self._access_token, False),
            ("POST", "/v1.0/robot/oToMessages/batchSend"): (self._batch_send, True),
            ("POST", "/v1.0/robot/groupMessages/send"): (self._group_send, True),
            ("POST", "/v1.0/card/instances/createAndDeliver"): (self._create_and_deliver, True),
            ("PUT", "/v1.0/card/instances"): (self._update_card, True),
            ("POST", "/v1.0/robot/messageFiles/download"): (self._download, True),
        }

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application()
        app.router.add_get("/connect", self._handle_connect)
        app.router.add_get("/files/{key}", self._handle_file)
        app.router.add_post("/robot/sendBySession", self._handle_session)
        app.router.add_post("/topapi/v2/user/getbymobile", self._handle_getbymobile)
        app.router.add_post("/media/upload", self._handle_upload)
        app.router.add_route("*", "/v1.0/{tail:.*}", self._handle_openapi)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.base_url = f"http://{host}:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        await self._close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------ HTTP

    async def _body(self, request: web.Request, where: str) -> dict[str, Any] | None:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self._violation(f"{where}: body is not a JSON object")
            return None
        return body

    async def _handle_openapi(self, request: web.Request) -> web.Response:
        path = request.path
        where = f"{request.method} {path}"
        route = self._routes.get((request.method, path))
        try:
            if route is None:
                raise ApiError(
                    404,
                    "InvalidAction.NotFound",
                    "Specified api is not found, please check your url and method.",
                    violation=True,
                )
            handler, needs_token = route
            if needs_token:
                self._authenticate(request.headers.get("x-acs-dingtalk-access-token"))
            fault = self._take_fault(path)
            if fault is not None:
                raise fault
            body = await self._body(request, where)
            if body is None:
                return _json(ApiError(400, "InvalidBody", "请求体须为JSON对象").body(), 400)
            return _json(await handler(body))
        except ApiError as exc:
            if exc.violation:
                self._violation(f"{where}: {exc.status} {exc.code} {exc.message}")
            return _json(exc.body(), exc.status)

    async def _old_api(self, request: web.Request, call: Callable[[], Awaitable[Any]]) -> Any:
        where = f"{request.method} {request.path}"
        fault = self._take_fault(request.path)
        if fault is not None:
            errcode: Any = int(fault.code) if fault.code.lstrip("-").isdigit() else fault.code
            return _json({"errcode": errcode, "errmsg": fault.message}, fault.status)
        try:
            return _json(await call())
        except OldApiError as exc:
            if exc.violation:
                self._violation(f"{where}: errcode {exc.errcode} {exc.errmsg}")
            body = {"errcode": exc.errcode, "errmsg": exc.errmsg, "request_id": request_id()}
            return _json(body)

    async def _handle_session(self, request: web.Request) -> web.Response:
        body = await self._body(request, "POST /robot/sendBySession")
        if body is None:
            return _json({"errcode": 40035, "errmsg": "不合法的参数"})
        key = request.query.get("session", "")
        result: web.Response = await self._old_api(
            request, lambda: self._send_by_session(key, body)
        )
        return result

    async def _handle_getbymobile(self, request: web.Request) -> web.Response:
        body = await self._body(request, "POST /topapi/v2/user/getbymobile")
        if body is None:
            return _json({"errcode": 40035, "errmsg": "不合法的参数"})
        token = request.query.get("access_token")
        result: web.Response = await self._old_api(
            request, lambda: self._get_by_mobile(token, body)
        )
        return result

    async def _handle_upload(self, request: web.Request) -> web.Response:
        name, data = "", b""
        try:
            form = await request.post()
            media = form.get("media")
            if isinstance(media, web.FileField):
                name, data = media.filename, media.file.read()
        except ValueError:
            pass
        token, kind = request.query.get("access_token"), request.query.get("type", "")
        result: web.Response = await self._old_api(
            request, lambda: self._upload_media(token, kind, name, data)
        )
        return result

    async def _handle_file(self, request: web.Request) -> web.Response:
        data = self._file_bytes(request.match_info["key"])
        if data is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=data, content_type="application/octet-stream")
