"""What tests read and wait for: the bot's messages and calls, unanswered callback queries,
and assertions that the bot kept to the Bot API."""

from __future__ import annotations

from collections.abc import Callable

from sandbox.telegram.chats import FakeGroup, SentMessage
from sandbox.telegram.records import CallbackRecord, RecordedCall
from sandbox.telegram.store import Store
from sandbox.telegram.users import FakeUser


class Inspection(Store):
    """The test side of the emulator: what the bot did, and waiting until it has."""

    def sent(self, chat_id: int | FakeUser | FakeGroup | None = None) -> list[SentMessage]:
        """The bot's messages that still exist, oldest first, optionally in one chat."""
        chats = self._chats.values() if chat_id is None else [self._chats[_cid(chat_id)]]
        out = [m for chat in chats for m in chat.sent.values() if not m.deleted]
        return sorted(out, key=lambda m: (m.raw["date"], m.chat_id, m.message_id))

    def last_sent(self, chat_id: int | FakeUser | FakeGroup) -> SentMessage | None:
        messages = self.sent(chat_id)
        return messages[-1] if messages else None

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.method == method]

    def unanswered_callbacks(self) -> list[CallbackRecord]:
        return [c for c in self.callbacks.values() if not c.answered]

    def pending_updates(self) -> int:
        return len(self._updates)

    def assert_no_violations(self) -> None:
        if self.violations:
            listed = "\n  - ".join(self.violations)
            raise AssertionError(f"{len(self.violations)} Bot API violation(s):\n  - {listed}")

    def assert_callbacks_answered(self) -> None:
        missing = self.unanswered_callbacks()
        if missing:
            raise AssertionError(
                "callback queries never answered: "
                + ", ".join(f"{c.id} (data={c.data!r})" for c in missing)
            )

    async def wait_for_message(
        self,
        chat_id: int | FakeUser | FakeGroup,
        *,
        contains: str | None = None,
        after: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a timeout here can explain itself
    ) -> SentMessage:
        """The first bot message in the chat with message_id > ``after`` containing the text.

        Users' and the bot's messages share a chat's id sequence, so ``after`` is typically
        the ``message_id`` of what the user just sent.  Edits count: an edited message whose
        text now matches is returned.
        """
        cid = _cid(chat_id)

        def find() -> SentMessage | None:
            chat = self._chats.get(cid)
            if chat is None:
                return None
            for m in sorted(chat.sent.values(), key=lambda m: m.message_id):
                if m.deleted or (after is not None and m.message_id <= after):
                    continue
                if contains is None or contains in m.text:
                    return m
            return None

        def explain() -> str:
            chat = self._chats.get(cid)
            seen = [m for m in chat.sent.values()] if chat else []
            what = f" containing {contains!r}" if contains else ""
            where = f" after #{after}" if after is not None else ""
            return f"no bot message to chat {cid}{what}{where} within {timeout}s; sent: {seen}"

        return await self._wait(find, explain, timeout)

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[RecordedCall], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - see wait_for_message
        *,
        since: int = 0,
    ) -> RecordedCall:
        """The first finished call to ``method`` (from index ``since`` of :attr:`calls`)."""

        def find() -> RecordedCall | None:
            for c in self.calls[since:]:
                if c.method == method and c.done and (predicate is None or predicate(c)):
                    return c
            return None

        def explain() -> str:
            recent = [c.method for c in self.calls[since:] if c.method != "getUpdates"][-20:]
            return f"no matching {method} call within {timeout}s; calls: {recent}"

        return await self._wait(find, explain, timeout)

    async def drain(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has confirmed every queued update.

        With polling that means it asked for the next batch, i.e. (with
        ``handle_as_tasks=False``) finished handling the previous one.
        """

        def find() -> bool | None:
            return True if not self._updates else None

        def explain() -> str:
            return f"{len(self._updates)} update(s) still unconfirmed after {timeout}s"

        await self._wait(find, explain, timeout)


def _cid(chat: int | FakeUser | FakeGroup) -> int:
    return chat if isinstance(chat, int) else chat.chat_id
