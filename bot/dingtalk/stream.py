"""DingTalk's Stream mode: one outbound WebSocket to DingTalk's gateway, so a county
office runs the robot on a PC behind NAT with no public address.

The official SDK (``dingtalk_stream``) parses the frames and builds the ACKs; its
connection loop is replaced here for three reasons. It asks for the connection with
blocking ``requests`` on the event loop (every other update would wait); in 0.24.3 its
``start()`` swallows cancellation, so it could not be stopped; and it waits a fixed 10 s
after a drop. Here the request is made with aiohttp, ``stop()`` ends the loop cleanly
whichever SDK version is installed, and a dropped socket is reconnected with backoff
from one second up to ``MAX_BACKOFF`` (back within 30 s).

A frame is ACKed only after its handler returned, which is after the update's commit;
frames of one chat are handled one at a time, in order.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote_plus

import aiohttp
import dingtalk_stream
import websockets
from dingtalk_stream import AckMessage, CallbackHandler, CallbackMessage, Credential
from dingtalk_stream.frames import SystemMessage

from bot.dingtalk.incoming import TOPIC_CARD, TOPIC_MESSAGE

log = logging.getLogger(__name__)

MAX_BACKOFF = 20.0
CONNECT_TIMEOUT = aiohttp.ClientTimeout(total=15)


def point_sdk_at(api_url: str) -> None:
    """The SDK read its endpoint (``DINGTALK_OPENAPI_ENDPOINT``) once, at import: put
    ours wherever it kept a copy, so no SDK code path can reach another server."""
    base = api_url.rstrip("/")
    from dingtalk_stream import card_replier, chatbot, stream, utils

    for module in (utils, stream, chatbot, card_replier):
        if hasattr(module, "DINGTALK_OPENAPI_ENDPOINT"):
            module.DINGTALK_OPENAPI_ENDPOINT = base
    stream.DingTalkStreamClient.OPEN_CONNECTION_API = base + "/v1.0/gateway/connections/open"


FrameHandler = Callable[[dict[str, Any], str], Awaitable[None]]


class _Topic(CallbackHandler):
    """One subscribed topic: its frames go to ``handle``; the ACK says whether it worked."""

    def __init__(self, handle: FrameHandler, answer: Any = "OK") -> None:
        super().__init__()
        self.handle = handle
        # What the ACK's ``response`` carries: for a card press, the card's update (none:
        # the card is updated by the OpenAPI when the core edits it).
        self.answer = answer

    async def process(self, callback: CallbackMessage) -> tuple[int, Any]:
        data = callback.data if isinstance(callback.data, dict) else {}
        try:
            await self.handle(data, str(callback.headers.message_id or ""))
        except Exception as exc:  # nothing was committed: DingTalk may deliver it again
            log.error("DingTalk frame failed: %s", type(exc).__name__, exc_info=exc)
            return AckMessage.STATUS_SYSTEM_EXCEPTION, "failed"
        return AckMessage.STATUS_OK, self.answer


class StreamClient(dingtalk_stream.DingTalkStreamClient):
    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        api_url: str,
        on_message: FrameHandler,
        on_card: FrameHandler,
    ) -> None:
        super().__init__(Credential(client_id, client_secret), logger=log)
        self.api_url = api_url.rstrip("/")
        point_sdk_at(self.api_url)
        self.register_callback_handler(TOPIC_MESSAGE, _Topic(on_message))
        self.register_callback_handler(TOPIC_CARD, _Topic(on_card, answer={}))
        self._stopping = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._chains: dict[str, asyncio.Future[None]] = {}
        self.connected = asyncio.Event()
        self.connections = 0

    def __repr__(self) -> str:  # the credential holds the secret
        return f"StreamClient(api_url={self.api_url!r})"

    async def _open(self) -> dict[str, Any] | None:
        """The gateway's answer to a connection request: ``endpoint`` and ``ticket``."""
        topics = [{"type": "CALLBACK", "topic": topic} for topic in self.callback_handler_map]
        body = {
            "clientId": self.credential.client_id,
            "clientSecret": self.credential.client_secret,
            "subscriptions": topics,
            "ua": f"zhucun dingtalk-sdk-python/v{dingtalk_stream.version.VERSION_STRING}",
            "localIp": "",
        }
        url = f"{self.api_url}/v1.0/gateway/connections/open"
        async with (
            aiohttp.ClientSession(timeout=CONNECT_TIMEOUT, trust_env=False) as http,
            http.post(url, json=body, headers={"Accept": "application/json"}) as response,
        ):
            if response.status >= 400:
                answer = await response.json(content_type=None)
                code = answer.get("code") if isinstance(answer, dict) else response.status
                log.error("DingTalk refused the Stream connection: %s %s", response.status, code)
                return None
            answer = await response.json(content_type=None)
        return answer if isinstance(answer, dict) and answer.get("endpoint") else None

    async def run(self) -> None:
        """Connect, handle frames, reconnect after a drop; until ``stop()``."""
        self.pre_start()
        delay = 1.0
        while not self._stopping.is_set():
            try:
                connection = await self._open()
                if connection is not None:
                    uri = f"{connection['endpoint']}?ticket={quote_plus(connection['ticket'])}"
                    async with websockets.connect(uri, ping_interval=30) as socket:
                        self.connections += 1
                        self.connected.set()
                        delay = 1.0
                        log.info("DingTalk Stream connected")
                        await self._read(socket)
            except asyncio.CancelledError:
                raise
            except (OSError, aiohttp.ClientError, websockets.WebSocketException) as exc:
                log.warning("DingTalk Stream: %s; reconnecting", type(exc).__name__)
            finally:
                self.connected.clear()
            if self._stopping.is_set():
                break
            await self._pause(delay + random.uniform(0, delay / 4))
            delay = min(MAX_BACKOFF, delay * 2)
        await self._drain()

    async def _read(self, socket: Any) -> None:
        stop = asyncio.create_task(self._stopping.wait())
        try:
            while True:
                receive = asyncio.create_task(socket.recv())
                done, _ = await asyncio.wait({receive, stop}, return_when=asyncio.FIRST_COMPLETED)
                if receive not in done:
                    receive.cancel()
                    await socket.close()
                    return
                frame = json.loads(receive.result())
                self._spawn(frame, socket)
        finally:
            stop.cancel()

    def _spawn(self, frame: dict[str, Any], socket: Any) -> None:
        # Frames of one chat run one after another (a person's answers keep their order);
        # different chats run side by side.
        key = _chat_of(frame)
        before = self._chains.get(key)

        async def handle() -> None:
            if before is not None:
                await asyncio.gather(before, return_exceptions=True)
            await self._route(frame, socket)

        task = asyncio.create_task(handle())
        self._tasks.add(task)
        self._chains[key] = task
        task.add_done_callback(lambda t: self._finished(key, t))

    def _finished(self, key: str, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._chains.get(key) is task:
            del self._chains[key]

    async def _route(self, frame: dict[str, Any], socket: Any) -> None:
        """The SDK's parsing and ACKs, on the socket the frame came by."""
        kind = frame.get("type", "")
        ack = None
        disconnect = False
        if kind == SystemMessage.TYPE:
            message = SystemMessage.from_dict(frame)
            ack = await self.system_handler.raw_process(message)
            disconnect = message.headers.topic == SystemMessage.TOPIC_DISCONNECT
        elif kind == CallbackMessage.TYPE:
            callback = CallbackMessage.from_dict(frame)
            handler = self.callback_handler_map.get(callback.headers.topic)
            if handler is None:
                log.warning("DingTalk frame of a topic not subscribed: %s", callback.headers.topic)
                return
            ack = await handler.raw_process(callback)
        if ack is not None:
            try:
                await socket.send(json.dumps(ack.to_dict()))
            except websockets.ConnectionClosed:
                # No ACK went: DingTalk delivers the frame again, and the inbox knows it.
                log.info("DingTalk Stream closed before an ACK")
        if disconnect:
            await socket.close()

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def stop(self) -> None:
        self._stopping.set()


def _chat_of(frame: dict[str, Any]) -> str:
    try:
        data = json.loads(frame.get("data") or "{}")
    except (TypeError, ValueError):
        return ""
    if not isinstance(data, dict):
        return ""
    return str(data.get("conversationId") or data.get("userId") or "")
