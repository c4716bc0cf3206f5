"""A local Telegram Bot API emulator for end-to-end tests, benchmarks and the offline demo.

The real aiogram client talks to it over HTTP, exactly as it talks to api.telegram.org::

    async with BotApiSandbox() as sandbox:
        bot = sandbox.make_bot()            # or Bot(token, session=AiohttpSession(api=...))
        alice = sandbox.user(first_name="张三")
        await alice.send("/start")
        reply = await sandbox.wait_for_message(alice.chat_id, contains="欢迎")
        await alice.press(reply, "确认")
        sandbox.assert_no_violations()

Every call is checked against the Bot API spec (``sandbox.telegram.spec``); in strict mode a
violating call fails the way Telegram would (400 Bad Request) and is recorded, so tests can
assert that the bot never made one.  Everything lives in memory; nothing touches the network
beyond the loopback socket.

Behaviour worth knowing, mostly Telegram's own and chosen to catch bot mistakes early:

* Group privacy mode is on (as for a fresh bot): in groups the bot only receives commands,
  replies to its own messages and mentions, unless the group was created with
  ``bot_is_admin=True`` or the sandbox with ``privacy_mode=False``.
* ``editMessageText``/``editMessageCaption`` without ``reply_markup`` drop the inline keyboard.
* Only HTML formatting is parsed; MarkdownV2 text is stored and measured as sent.
* Lengths are counted in UTF-16 code units, Telegram's unit for text and entity offsets.
* Webhooks are pushed for real, but only to loopback URLs (others must be HTTPS, as on
  Telegram, and then cannot be reached offline anyway).
* Flood limits (1 message a second per chat, 20 a minute per group, 30 a second overall)
  are enforced only after ``enforce_rate_limits()``; refused sends get 429 with
  ``retry_after`` and are listed in ``rate_limited``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from functools import cache
from typing import TYPE_CHECKING, Any, Self

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from sandbox.telegram.actors import Actors
from sandbox.telegram.errors import ApiError
from sandbox.telegram.faults import FaultPlan, RandomFaults
from sandbox.telegram.inspection import Inspection
from sandbox.telegram.methods.table import BotApiMethods, Handler
from sandbox.telegram.rate_limits import SENDING_METHODS, FloodWindows, RateLimits
from sandbox.telegram.records import RecordedCall, UploadedFile
from sandbox.telegram.server import ApiServer
from sandbox.telegram.spec.checking import SpecChecker

if TYPE_CHECKING:
    from aiogram import Dispatcher

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:TEST-TOKEN"


@cache
def _default_checker() -> SpecChecker:
    return SpecChecker()


class LoopbackSession(AiohttpSession):
    """aiogram's session minus the 250 ms it sleeps on close for SSL connections to wind down.

    The sandbox speaks plain HTTP on loopback, so there is nothing to wait for, and tests that
    open and close many bots would otherwise spend most of their time asleep.
    """

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


class BotApiSandbox(Inspection, Actors, BotApiMethods):
    """An in-memory Bot API server; see the module docstring."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "zhucun_test_bot",
        bot_id: int = 123456,
        bot_name: str = "驻村助手",
        spec: SpecChecker | None = None,
        strict: bool = True,
        privacy_mode: bool = True,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(
            token=token,
            bot_username=bot_username,
            bot_id=bot_id,
            bot_name=bot_name,
            spec=spec if spec is not None else _default_checker(),
            privacy_mode=privacy_mode,
            clock=clock or time.time,
        )
        self.strict = strict
        self.base_url = ""
        self._faults = FaultPlan()
        self.rate_limits: RateLimits | None = None
        self.rate_limited: list[RecordedCall] = []  # sends refused by enforce_rate_limits
        self._flood = FloodWindows()
        self._server = ApiServer(self)
        self._handlers: dict[str, Handler] = self._method_table()

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 picks a free port); returns the base URL for aiogram."""
        self.base_url = await self._server.start(host, port)
        return self.base_url

    async def stop(self) -> None:
        self._closing.set()
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        await self._server.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def make_bot(self, **kwargs: Any) -> Bot:
        """An aiogram Bot wired to this sandbox (extra kwargs go to ``Bot``)."""
        if not self.base_url:
            raise RuntimeError("start() the sandbox before making a bot")
        session = LoopbackSession(api=TelegramAPIServer.from_base(self.base_url))
        return Bot(self.token, session=session, **kwargs)

    @contextlib.asynccontextmanager
    async def polling(
        self, dispatcher: Dispatcher, bot: Bot, **kwargs: Any
    ) -> AsyncIterator[asyncio.Task[None]]:
        """Run ``dispatcher.start_polling(bot)`` against the sandbox for the ``with`` block.

        Updates are handled one at a time (``handle_as_tasks=False``), which is what makes
        :meth:`drain` mean "the bot finished handling everything".  On exit polling stops and
        the bot's session is closed; a crash of the polling task is re-raised.
        """
        options: dict[str, Any] = {
            "handle_as_tasks": False,
            "polling_timeout": 1,
            "handle_signals": False,
            **kwargs,
        }
        task = asyncio.create_task(dispatcher.start_polling(bot, **options))
        try:
            yield task
        finally:
            while not task.done():
                try:
                    await dispatcher.stop_polling()
                    break
                except RuntimeError:  # not started yet; stopping now would be a no-op
                    await asyncio.sleep(0.01)
            await task

    # ------------------------------------------------------------------ faults, flood limits

    def fail_next(
        self,
        method: str,
        *,
        error_code: int | None = None,
        description: str | None = None,
        retry_after: int | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
        stall: float | None = None,
    ) -> None:
        """Make the next ``times`` valid calls to ``method`` (optionally to one chat) fail.

        With ``error_code`` the call is answered with that error (429 carries ``retry_after``,
        default 1 s); with ``stall`` the answer is delayed that many seconds first.  A stall
        without an error code then performs the call normally, which models a request that
        reached Telegram although the client timed out.
        """
        self._faults.add(
            method,
            error_code=error_code,
            description=description,
            retry_after=retry_after,
            chat_id=chat_id,
            times=times,
            stall=stall,
        )

    def fail_randomly(
        self, rate: float, methods: tuple[str, ...], *, seed: int = 0, stall: float = 12.0
    ) -> RandomFaults:
        """From now on ``rate`` of the valid calls to ``methods`` fail: 429, 500, or a
        ``stall`` (longer than a client's timeout) then 502, in equal parts. The returned
        object counts the faults injected."""
        self._faults.random = RandomFaults(
            rate, frozenset(m.lower() for m in methods), random.Random(seed), stall
        )
        return self._faults.random

    def enforce_rate_limits(
        self,
        *,
        per_chat_per_second: int = 1,
        group_per_minute: int = 20,
        global_per_second: int = 30,
    ) -> None:
        """Answer 429 (with ``retry_after``) to a send beyond Telegram's flood limits.

        Off by default. Limits are sliding windows over accepted sends, measured when the
        sandbox receives them: at most ``per_chat_per_second`` per chat in any second,
        ``group_per_minute`` per group in any minute, ``global_per_second`` overall in any
        second. Refused calls are listed in :attr:`rate_limited`, so a test can prove a
        client paced itself (injected ``fail_next`` faults are not listed there).
        """
        self.rate_limits = RateLimits(per_chat_per_second, group_per_minute, global_per_second)

    def _check_rate(self, call: RecordedCall) -> None:
        assert self.rate_limits is not None
        chat_id = call.params.get("chat_id")
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        retry_after = self._flood.admit(call, chat, self.rate_limits)
        if retry_after is not None:
            self.rate_limited.append(call)
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )

    # ------------------------------------------------------------------ serving a call

    async def _process(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        files: dict[str, UploadedFile],
        via: str = "http",
    ) -> tuple[int, dict[str, Any]]:
        call = RecordedCall(method, dict(params), dict(params), files, self._clock(), via)
        self.calls.append(call)
        name = method
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            resolved = self.spec.resolve_method(method)
            if resolved is None:
                self._violate(call, f"{method}: unknown method")
                raise ApiError(404, "Not Found")
            name = call.method = resolved
            violations, call.params = self.spec.validate(name, params, set(files))
            for v in violations:
                self._violate(call, v)
            if violations and self.strict:
                raise ApiError(400, "Bad Request: " + _refusal(violations[0]))
            fault = self._faults.take(name, call.params)
            if fault is None or fault.error_code is None:
                # A send counts against the flood limits when it arrives, however slowly it
                # is then answered (a stall); an injected error is a refusal, not a send.
                if self.rate_limits is not None and name in SENDING_METHODS:
                    self._check_rate(call)
            if fault is not None:
                await self._faults.apply(fault, self._closing)
            handler = self._handlers.get(name)
            if handler is None:
                self._violate(call, f"{name}: not emulated by the sandbox")
                raise ApiError(501, f"Not Implemented: the sandbox does not emulate {name}")
            result = await handler(call.params, files)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.code, exc.body()
        except Exception as exc:  # a sandbox bug or, when not strict, garbage it let through
            log.exception("sandbox failed on %s", name)
            self._violate(call, f"{name}: the sandbox could not process the call: {exc!r}")
            status, body = 500, ApiError(500, f"Internal Server Error: {exc!r}").body()
        call.status, call.response = status, body
        self._notify()
        return status, body

    def _violate(self, call: RecordedCall, message: str) -> None:
        call.violations.append(message)
        self.violations.append(message)


# Telegram's own words for the length refusals a bot meets most (the spec check's wording
# stays in the recorded violation).
_TOO_LONG = {"text": "message is too long", "caption": "message caption is too long"}


def _refusal(violation: str) -> str:
    """What Telegram's 400 says for the first violation of a call."""
    path, _, problem = violation.partition(": ")[2].partition(": ")
    if problem.startswith("must be") and path in _TOO_LONG and "got 0" not in problem:
        _, high = problem.removeprefix("must be ").split(" ", 1)[0].split("-")
        got = problem.rsplit("got ", 1)[-1].split(" ", 1)[0]
        if got.isdigit() and int(got) > int(high):
            return _TOO_LONG[path]
    return violation.split(": ", 1)[1]
