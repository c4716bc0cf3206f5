"""The Stream-mode gateway: ``POST /v1.0/gateway/connections/open`` hands out a single-use
ticket, ``GET /connect?ticket=`` upgrades to the WebSocket that frames are pushed over and
ACKs come back on (spec §1.2-1.6)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from sandbox.dingtalk.records import ApiError
from sandbox.dingtalk.state import State

TICKET_TTL = 90.0  # seconds, single use (spec §1.2)
ACK_CODES = {200, 400, 404, 500}
CARD_CALLBACK_TOPIC = "/v1.0/card/instances/callback"
BOT_MESSAGE_TOPIC = "/v1.0/im/bot/messages/get"


@dataclass
class Connection:
    connection_id: str
    topics: set[str]
    ws: web.WebSocketResponse
    request: web.Request
    closed: bool = False


@dataclass
class Pushed:
    frame: dict[str, Any]
    deliveries: int = 0
    acks: list[dict[str, Any]] = field(default_factory=list)


class Gateway(State):
    """Tickets, the live connection, frames pushed and their ACKs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections = 0
        self._tickets: dict[str, tuple[float, set[str]]] = {}
        self._live: list[Connection] = []
        self._pushed: dict[str, Pushed] = {}
        self._frame_seq = 0
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def connected(self) -> bool:
        return any(not c.closed for c in self._live)

    # ------------------------------------------------------------------ HTTP side

    async def _open_connection(self, body: dict[str, Any]) -> dict[str, Any]:
        subs = body.get("subscriptions")
        if not isinstance(body.get("clientId"), str) or not isinstance(
            body.get("clientSecret"), str
        ):
            raise ApiError(400, "MissingParameter", "clientId/clientSecret缺失", violation=True)
        if not isinstance(subs, list) or not subs:
            raise ApiError(400, "invalidParameter", "subscriptions须为非空数组", violation=True)
        topics: set[str] = set()
        for sub in subs:
            ok = isinstance(sub, dict) and sub.get("type") in ("EVENT", "CALLBACK")
            if not ok or not isinstance(sub.get("topic"), str):
                raise ApiError(
                    400, "invalidParameter", f"subscription不合法: {sub}", violation=True
                )
            if sub["type"] == "EVENT" and sub["topic"] != "*":
                raise ApiError(400, "invalidParameter", "EVENT只支持topic '*'", violation=True)
            topics.add(sub["topic"])
        if body["clientId"] != self.client_id or body["clientSecret"] != self.client_secret:
            # Error shape undocumented (spec §1.2): assumed the same as the token endpoint's.
            raise ApiError(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
        ticket = secrets.token_hex(16)
        self._tickets[ticket] = (time.monotonic() + TICKET_TTL, topics)
        endpoint = self.base_url.replace("http://", "ws://", 1) + "/connect"
        return {"endpoint": endpoint, "ticket": ticket}

    async def _handle_connect(self, request: web.Request) -> web.StreamResponse:
        ticket = self._tickets.pop(request.query.get("ticket", ""), None)
        if ticket is None or ticket[0] < time.monotonic():
            self._violation("GET /connect: unknown, used or expired ticket")
            return web.json_response({"code": "InvalidTicket", "message": "ticket无效"}, status=401)
        ws = web.WebSocketResponse(autoping=True)  # answers the SDK's WebSocket pings
        await ws.prepare(request)
        conn = Connection(secrets.token_hex(12), ticket[1], ws, request)
        self._live.append(conn)
        self.connections += 1
        self._notify()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_client_frame(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self._violation("stream: binary frame from the client")
        finally:
            conn.closed = True
            self._live.remove(conn)
            self._notify()
        return ws

    # ------------------------------------------------------------------ ACKs

    def _on_client_frame(self, raw: str) -> None:
        try:
            frame = json.loads(raw)
        except ValueError:
            self._violation(f"stream: not JSON: {raw[:200]}")
            return
        headers = frame.get("headers") if isinstance(frame, dict) else None
        message_id = headers.get("messageId") if isinstance(headers, dict) else None
        pushed = self._pushed.get(message_id) if isinstance(message_id, str) else None
        problems = []
        if pushed is None:
            problems.append("messageId of no pushed frame")
        if not isinstance(frame.get("code"), int) or frame["code"] not in ACK_CODES:
            problems.append(f"code {frame.get('code')!r} not one of {sorted(ACK_CODES)}")
        if not isinstance(frame.get("message"), str):
            problems.append("message must be a string")
        data = frame.get("data")
        if not isinstance(data, str):
            problems.append("data must be a JSON string")
        else:
            try:
                json.loads(data)
            except ValueError:
                problems.append("data is not JSON")
        if problems:
            self._violation(f"stream ACK {raw[:300]}: " + "; ".join(problems))
        if pushed is not None:
            pushed.acks.append(frame)
            self._after_ack(pushed, frame)
            self._notify()

    def _after_ack(self, pushed: Pushed, ack: dict[str, Any]) -> None:
        """Hook: a card callback's ACK may carry the card's update (spec §2)."""
        frame = pushed.frame
        if frame["type"] == "SYSTEM" and frame["headers"]["topic"] == "ping":
            if ack.get("data") != frame["data"]:
                self._violation(f"stream: ping ACK did not echo data {frame['data']}")

    def acked(self, message_id: str) -> bool:
        pushed = self._pushed.get(message_id)
        return pushed is not None and bool(pushed.acks)

    async def wait_acked(self, message_id: str, timeout: float = 10) -> dict[str, Any]:  # noqa: ASYNC109
        """The client's ACK for the frame (after a redelivery: the ACK for that one too)."""
        pushed = self._pushed.get(message_id)
        if pushed is None:
            raise KeyError(f"no frame with messageId {message_id!r} was pushed")

        def done() -> dict[str, Any] | None:
            return pushed.acks[-1] if len(pushed.acks) >= pushed.deliveries else None

        return await self._until(done, timeout, f"the ACK of {message_id}")

    # ------------------------------------------------------------------ pushing

    def _new_message_id(self) -> str:
        self._frame_seq += 1
        ms = int(time.time() * 1000)
        return f"{secrets.token_hex(4)}_{self._frame_seq}_{ms:x}_{secrets.token_hex(3)}"

    async def _connection(self, timeout: float = 10) -> Connection:  # noqa: ASYNC109
        def live() -> Connection | None:
            return next((c for c in reversed(self._live) if not c.closed), None)

        return await self._until(live, timeout, "a client to connect to the gateway")

    async def _push(self, type_: str, topic: str, data: dict[str, Any]) -> str:
        """Push a new frame to the live connection (waiting up to 10 s for one)."""
        conn = await self._connection()
        if (
            type_ != "SYSTEM"
            and topic not in conn.topics
            and not (type_ == "EVENT" and "*" in conn.topics)
        ):
            raise RuntimeError(f"the client did not subscribe to {topic}: it would not get this")
        message_id = self._new_message_id()
        headers = {
            "appId": self.app_id,
            "connectionId": conn.connection_id,
            "contentType": "application/json",
            "messageId": message_id,
            "time": str(int(time.time() * 1000)),
            "topic": topic,
        }
        frame = {"specVersion": "1.0", "type": type_, "headers": headers, "data": json.dumps(data)}
        self._pushed[message_id] = Pushed(frame)
        await self._send(conn, message_id)
        return message_id

    async def _send(self, conn: Connection, message_id: str) -> None:
        pushed = self._pushed[message_id]
        pushed.frame["headers"]["connectionId"] = conn.connection_id
        pushed.deliveries += 1
        await conn.ws.send_str(json.dumps(pushed.frame, ensure_ascii=False))

    async def redeliver(self, message_id: str) -> None:
        """Push the same frame again (same messageId), e.g. after a reconnect."""
        if message_id not in self._pushed:
            raise KeyError(f"no frame with messageId {message_id!r} was pushed")
        await self._send(await self._connection(), message_id)

    async def ping(self, opaque: str = "sandbox-ping", timeout: float = 10) -> dict[str, Any]:  # noqa: ASYNC109
        """A SYSTEM ping frame; the client must echo its data in the ACK."""
        message_id = await self._push("SYSTEM", "ping", {"opaque": opaque})
        return await self.wait_acked(message_id, timeout)

    # ------------------------------------------------------------------ faults

    async def drop_connection(self) -> None:
        """Cut the live connection's TCP stream: no close frame, as a network drop."""
        conn = await self._connection()
        conn.closed = True
        transport = conn.request.transport
        if transport is not None:
            transport.abort()
        await self._until(lambda: True if conn not in self._live else None, 5, "the drop")

    async def send_disconnect(self, grace: float = 10.0) -> None:
        """The SYSTEM disconnect frame; the socket is closed ``grace`` seconds later."""
        conn = await self._connection()
        await self._push("SYSTEM", "disconnect", {"reason": "connection is expired"})

        async def close_later() -> None:
            await asyncio.sleep(grace)
            conn.closed = True
            await conn.ws.close()

        task = asyncio.create_task(close_later())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _close_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for conn in list(self._live):
            conn.closed = True
            with contextlib.suppress(Exception):
                await conn.ws.close()
