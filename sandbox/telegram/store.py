"""What the emulated Telegram holds, and the lookups every part of the emulator shares.

Each part of :class:`~sandbox.telegram.emulator.BotApiSandbox` (the areas of methods in
``methods/``, the actors, the inspection) is a class over :class:`Store`: they share one
state because the methods of one Bot API server do; a message one method sends, another
edits, a user replies to and a test reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sandbox.telegram.chats import Chat, FakeGroup, PrivateChat
from sandbox.telegram.errors import ApiError, SandboxTimeout
from sandbox.telegram.records import CallbackRecord, RecordedCall, StoredFile, UploadedFile
from sandbox.telegram.spec.checking import SpecChecker

if TYPE_CHECKING:
    from sandbox.telegram.users import FakeUser

_T = TypeVar("_T")

# Telegram's default when a bot never passed allowed_updates.
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class Store:
    """The bot's identity and everything the emulator holds for it, in memory."""

    def __init__(
        self,
        *,
        token: str,
        bot_username: str,
        bot_id: int,
        bot_name: str,
        spec: SpecChecker,
        privacy_mode: bool,
        clock: Callable[[], float],
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.spec = spec
        self.privacy_mode = privacy_mode
        self._clock = clock
        self.calls: list[RecordedCall] = []
        self.violations: list[str] = []
        self.callbacks: dict[str, CallbackRecord] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (scope, lang) -> list
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}  # (name|description|..., lang) -> text
        self.webhook: dict[str, Any] | None = None
        self._chats: dict[int, Chat] = {}
        self._users: dict[int, FakeUser] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._user_ids = itertools.count(1_000_001)
        self._group_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._webhook_task: asyncio.Task[None] | None = None

    async def _process(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        files: dict[str, UploadedFile],
        via: str = "http",
    ) -> tuple[int, dict[str, Any]]:
        """Serve one Bot API call, as the emulator defines it; declared here because a method
        area makes calls too (a webhook's reply is one)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ updates

    def post_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an arbitrary update (its update_id is assigned here)."""
        full = {"update_id": next(self._update_ids), **update}
        self._updates.append(full)
        self._notify()
        return full

    def _deliverable(self, limit: int) -> list[dict[str, Any]]:
        # Updates of a kind the bot did not ask for are dropped for good, as Telegram does.
        self._updates = [u for u in self._updates if self._allowed(u)]
        return self._updates[:limit]

    def _allowed(self, update: dict[str, Any]) -> bool:
        kind = next((k for k in update if k != "update_id"), "")
        if not self._allowed_updates:
            return kind not in _DEFAULT_EXCLUDED_UPDATES
        return kind in self._allowed_updates

    # ------------------------------------------------------------------ waiting

    def _notify(self) -> None:
        # Broadcast: wake everyone waiting on the current event, then arm a fresh one.
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait(
        self,
        find: Callable[[], _T | None],
        explain: Callable[[], str],
        timeout: float,  # noqa: ASYNC109
    ) -> _T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = find()
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise SandboxTimeout(explain())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    # ------------------------------------------------------------------ chats and messages

    def _now(self) -> int:
        return int(self._clock())

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def _chat(self, chat_id: Any) -> Chat:
        chat: Chat | None = None
        if isinstance(chat_id, int):
            chat = self._chats.get(chat_id)
        elif isinstance(chat_id, str) and chat_id.startswith("@"):
            name = chat_id[1:].lower()
            chat = next(
                (
                    c
                    for c in self._chats.values()
                    if isinstance(c, FakeGroup) and (c.username or "").lower() == name
                ),
                None,
            )
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _writable_chat(self, chat_id: Any) -> Chat:
        chat = self._chat(chat_id)
        if isinstance(chat, PrivateChat):
            if chat.user.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        if isinstance(chat, FakeGroup) and chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=chat.migrated_to,
            )
        return chat

    def _message(self, chat: Chat, message_id: Any, missing: str) -> dict[str, Any]:
        if not isinstance(message_id, int) or message_id not in chat.messages:
            raise ApiError(400, f"Bad Request: {missing}")
        if message_id in chat.deleted:
            raise ApiError(400, f"Bad Request: {missing}")
        return chat.messages[message_id]

    def _new_message(
        self,
        chat: Chat,
        sender: dict[str, Any],
        content: dict[str, Any],
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "message_id": chat.next_message_id(),
            "from": sender,
            "date": self._now(),
            "chat": chat.as_dict(),
        }
        if reply_to is not None:
            # Telegram nests one level only.
            msg["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "reply_to_message"}
        msg.update(content)
        chat.messages[msg["message_id"]] = msg
        return msg
