"""The emulator's HTTP side: the Bot API's routes on a loopback port, requests parsed the
ways the Bot API accepts them, answers in Telegram's JSON shape."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from aiohttp import web

from sandbox.telegram.errors import ApiError
from sandbox.telegram.records import UploadedFile
from sandbox.telegram.store import Store

_MAX_UPLOAD = 50 * 1024 * 1024


class ApiServer:
    """Serves ``/bot<token>/<method>`` (calls) and ``/file/bot<token>/<path>`` (downloads)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> str:
        """Serve on host:port (0 picks a free port); returns the base URL."""
        app = web.Application(client_max_size=_MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # The emulator releases long polls before it stops the server, so a short grace
        # period is enough.
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_port = self._runner.addresses[0][1]
        return f"http://{host}:{bound_port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle_api(self, request: web.Request) -> web.Response:
        try:
            params, files = await _read_request(request)
        except (ValueError, UnicodeDecodeError) as exc:
            body = ApiError(400, f"Bad Request: can't parse request: {exc}").body()
            return _json_response(body, 400)
        status, body = await self._store._process(
            request.match_info["token"], request.match_info["method"], params, files
        )
        return _json_response(body, status)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self._store.token:
            return _json_response(ApiError(401, "Unauthorized").body(), 401)
        path = request.match_info["path"]
        stored = next((f for f in self._store.files.values() if f.file_path == path), None)
        if stored is None or stored.content is None:
            return _json_response(ApiError(404, "Not Found").body(), 404)
        return web.Response(body=stored.content, content_type="application/octet-stream")


def _json_response(body: dict[str, Any], status: int) -> web.Response:
    return web.json_response(body, status=status, dumps=partial(json.dumps, ensure_ascii=False))


async def _read_request(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Parameters the way the Bot API accepts them: query string, form, multipart or JSON."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.method != "POST" or not request.can_read_body:
        return params, files
    if request.content_type == "application/json":
        data = await request.json()
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        params.update(data)
        return params, files
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            files[key] = UploadedFile(key, value.filename, value.content_type, value.file.read())
        else:
            params[key] = value
    return params, files
