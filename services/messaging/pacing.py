"""Pacing outbox sends under Telegram's limits: which message may go now, and when the next.

Telegram asks bots to stay under about one message a second per chat, twenty a minute per
group and thirty a second overall, and answers 429 beyond that. The relay keeps the rows it
claimed in a :class:`SendQueue`, which hands out one row at a time as the limits allow.

Pure logic: time is any monotonic clock in float seconds, passed in, so the rules are tested
with a fake clock and the relay uses the event loop's.

How each limit is kept, and why that way:

* **Per chat**: one send in flight per chat (which also keeps a chat's messages in order),
  and the next starts ``per_chat_interval`` after the previous one *finished*. The previous
  answer came back after Telegram received the request, so the gap Telegram sees is at least
  the interval whatever the network's jitter.
* **Per group**: additionally at most ``group_per_minute`` sends whose answers came in the
  last 60 s (a sliding window, so a few notices to a group go out at once, not 3 s apart).
* **Overall**: a GCRA (a token bucket holding a single token) at ``global_per_second``:
  sends are spaced ``T = 1/rate`` apart, and a send that woke a little late lets the next
  catch up by at most ``T/4``, so a busy event loop costs no throughput and no burst forms.
  Any ``n`` consecutive gaps then span at least ``n*T - T/4``; at 29/s, thirty sends span
  at least 1.03 s, so Telegram's "30 in any second" holds with 26 ms to spare for jitter.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

GROUP_WINDOW = 60.0  # seconds: Telegram counts group messages per minute
NEVER = float("-inf")


@dataclass(frozen=True)
class Limits:
    per_chat_interval: float = 1.0
    group_per_minute: int = 20
    global_per_second: float = 29.0  # under Telegram's 30, leaving room for direct replies

    def __post_init__(self) -> None:
        if self.per_chat_interval < 0 or self.group_per_minute < 1:
            raise ValueError("per_chat_interval must be >= 0 and group_per_minute >= 1")
        if self.global_per_second <= 0:
            raise ValueError("global_per_second must be positive")


class Gcra:
    """Events evenly spaced at ``rate`` a second (the generic cell rate algorithm with a
    tolerance of a quarter spacing: a late event lets the next catch up that much)."""

    def __init__(self, rate: float) -> None:
        self.spacing = 1.0 / rate
        self._tolerance = self.spacing / 4
        self._tat = NEVER  # theoretical arrival time of the next event

    def ready_at(self) -> float:
        return self._tat - self._tolerance

    def take(self, now: float) -> None:
        self._tat = max(self._tat, now) + self.spacing


class Pacer:
    """The limits' bookkeeping: when a chat, and the bot as a whole, may send next."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._global = Gcra(limits.global_per_second)
        self._free_at: dict[str, float] = {}  # chat -> earliest next send (interval, 429)
        self._windows: dict[str, deque[float]] = {}  # group -> recent finish times

    def global_ready_at(self) -> float:
        return self._global.ready_at()

    def chat_ready_at(self, chat_id: str, is_group: bool) -> float:
        ready = self._free_at.get(chat_id, NEVER)
        window = self._windows.get(chat_id)
        if is_group and window is not None and len(window) >= self.limits.group_per_minute:
            ready = max(ready, window[0] + GROUP_WINDOW)
        return ready

    def take(self, now: float) -> None:
        """A send starts now: use the overall slot."""
        self._global.take(now)

    def finished(self, chat_id: str, is_group: bool, at: float) -> None:
        """A send to the chat ended (answered, failed or timed out) at ``at``."""
        self._free_at[chat_id] = max(
            self._free_at.get(chat_id, NEVER), at + self.limits.per_chat_interval
        )
        if is_group:
            window = self._windows.setdefault(chat_id, deque(maxlen=self.limits.group_per_minute))
            window.append(at)

    def pause(self, chat_id: str, until: float) -> None:
        """Telegram said 429 for this chat: nothing goes there before ``until``."""
        self._free_at[chat_id] = max(self._free_at.get(chat_id, NEVER), until)

    def forget_idle(self, now: float) -> None:
        """Drop state that no longer restricts anything (keeps memory flat on a long run)."""
        for chat_id in [c for c, t in self._free_at.items() if t <= now]:
            del self._free_at[chat_id]
        stale = [c for c, w in self._windows.items() if not w or w[-1] + GROUP_WINDOW <= now]
        for chat_id in stale:
            del self._windows[chat_id]


@dataclass
class _Chat(Generic[T]):
    is_group: bool
    items: deque[tuple[int, T]] = field(default_factory=deque)  # (key, item), oldest first
    busy: bool = False
    entry: int | None = None  # sequence number of this chat's live heap entry


class SendQueue(Generic[T]):
    """Held items per chat, handed out one at a time as :class:`Pacer` allows.

    ``key`` identifies an item (the outbox row id) so it can be replaced or removed.
    """

    def __init__(self, limits: Limits) -> None:
        self.pacer = Pacer(limits)
        self._chats: dict[str, _Chat[T]] = {}
        self._where: dict[int, str] = {}  # key -> chat id
        self._heap: list[tuple[float, int, str]] = []  # (ready at, seq, chat id), lazy
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, key: int) -> bool:
        return key in self._where

    def items(self) -> Iterator[tuple[int, T]]:
        """Held (not in flight) items, chat by chat."""
        for chat in self._chats.values():
            yield from chat.items

    def chat_load(self, chat_id: str) -> int:
        """Items held for the chat, the one in flight included."""
        chat = self._chats.get(chat_id)
        return 0 if chat is None else len(chat.items) + int(chat.busy)

    def crowded(self, per_chat: int, per_group: int) -> list[str]:
        """Chats holding at least this many items (0: no limit): claim no more for them."""
        return [
            chat_id
            for chat_id, chat in self._chats.items()
            if (limit := per_group if chat.is_group else per_chat) > 0
            and len(chat.items) + int(chat.busy) >= limit
        ]

    def push(self, key: int, chat_id: str, is_group: bool, item: T, *, front: bool = False) -> None:
        """Hold an item; an item with the same key is replaced in place."""
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat(is_group)
        if key in self._where:
            where = self._where[key]
            if where == chat_id:
                chat.items = deque((k, item if k == key else v) for k, v in chat.items)
                return
            self.remove(key)
        if front:
            chat.items.appendleft((key, item))
        else:
            chat.items.append((key, item))
        self._where[key] = chat_id
        if not chat.busy and chat.entry is None:
            self._schedule(chat_id, chat)

    def remove(self, key: int) -> T | None:
        chat_id = self._where.pop(key, None)
        if chat_id is None:
            return None
        chat = self._chats[chat_id]
        found = next((v for k, v in chat.items if k == key), None)
        chat.items = deque((k, v) for k, v in chat.items if k != key)
        self._settle(chat_id, chat)
        return found

    def drop_chat(self, chat_id: str) -> list[T]:
        """Remove every held item of the chat (a 403: nobody is listening there)."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        dropped = [v for _, v in chat.items]
        for key, _ in chat.items:
            self._where.pop(key, None)
        chat.items.clear()
        self._settle(chat_id, chat)
        return dropped

    def pop_ready(self, now: float) -> tuple[int, T] | None:
        """The next (key, item) that may be sent at ``now``; its chat is busy until
        :meth:`finish`. None when the limits say wait (see :meth:`next_at`)."""
        if self.pacer.global_ready_at() > now:
            return None
        while self._heap:
            ready_at, seq, chat_id = self._heap[0]
            chat = self._chats.get(chat_id)
            if chat is None or chat.entry != seq:
                heapq.heappop(self._heap)  # stale entry
                continue
            if ready_at > now:
                return None
            heapq.heappop(self._heap)
            chat.entry = None
            key, item = chat.items.popleft()
            del self._where[key]
            chat.busy = True
            self.pacer.take(now)
            return key, item
        return None

    def next_at(self) -> float | None:
        """When :meth:`pop_ready` may next return an item; None when nothing is waiting
        (empty, or every chat with items has a send in flight)."""
        while self._heap:
            ready_at, seq, chat_id = self._heap[0]
            chat = self._chats.get(chat_id)
            if chat is None or chat.entry != seq:
                heapq.heappop(self._heap)
                continue
            return max(ready_at, self.pacer.global_ready_at())
        return None

    def finish(self, chat_id: str, at: float) -> None:
        """The chat's send in flight ended at ``at``."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return
        chat.busy = False
        self.pacer.finished(chat_id, chat.is_group, at)
        self._settle(chat_id, chat)

    def pause(self, chat_id: str, until: float) -> None:
        self.pacer.pause(chat_id, until)
        chat = self._chats.get(chat_id)
        if chat is not None and not chat.busy and chat.items:
            self._schedule(chat_id, chat)

    def _settle(self, chat_id: str, chat: _Chat[T]) -> None:
        if chat.items and not chat.busy:
            self._schedule(chat_id, chat)
        elif not chat.items:
            chat.entry = None
            if not chat.busy:
                del self._chats[chat_id]

    def _schedule(self, chat_id: str, chat: _Chat[T]) -> None:
        seq = next(self._seq)
        chat.entry = seq
        ready = self.pacer.chat_ready_at(chat_id, chat.is_group)
        heapq.heappush(self._heap, (ready, seq, chat_id))
