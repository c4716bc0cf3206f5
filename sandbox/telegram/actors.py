"""The sandbox's side of the people and groups tests play: making them, and the updates
their actions cause, as Telegram would deliver them to the bot."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from sandbox.telegram.chats import Chat, FakeGroup, PrivateChat, SentMessage
from sandbox.telegram.methods.files import FileMethods
from sandbox.telegram.records import CallbackRecord
from sandbox.telegram.users import FakeUser


class Actors(FileMethods):
    """Makes users and groups, and turns what they do into updates; a user's upload is stored
    as a bot's would be, hence the file methods underneath."""

    def user(
        self,
        user_id: int | None = None,
        *,
        first_name: str = "测试",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        started: bool = True,
    ) -> FakeUser:
        """A user with a private chat; the same id returns the same user.

        ``started=False`` models someone who never opened the bot: messages to them fail with
        403 until they send ``/start``.
        """
        if user_id is not None and user_id in self._users:
            return self._users[user_id]
        uid = user_id if user_id is not None else next(self._user_ids)
        user = FakeUser(
            self,
            uid,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            started=started,
        )
        self._users[uid] = user
        self._chats[uid] = PrivateChat(user)
        return user

    def group(
        self,
        title: str = "测试群",
        *,
        chat_id: int | None = None,
        type: str = "supergroup",
        username: str | None = None,
        bot_is_admin: bool = False,
        members: Iterable[FakeUser] = (),
    ) -> FakeGroup:
        if type not in ("group", "supergroup"):
            raise ValueError(f"group type must be group or supergroup, not {type!r}")
        if chat_id is None:
            n = next(self._group_ids)
            chat_id = -1_001_000_000_000 - n if type == "supergroup" else -n
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        group = FakeGroup(chat_id, title, type, username, bot_is_admin)
        for member in members:
            group.add(member)
        self._chats[chat_id] = group
        return group

    def upgrade_to_supergroup(
        self, group: FakeGroup, by: FakeUser, *, announce: bool = True
    ) -> FakeGroup:
        """``by`` (an admin of a basic group) upgrades it, as Telegram does when a group
        gets big or an admin changes some settings: the supergroup has a new id, the old id
        refuses sends with ``migrate_to_chat_id``, and the bot sees one service message in
        each chat (``migrate_to_chat_id`` in the old, ``migrate_from_chat_id`` in the new).
        ``announce=False``: the bot never sees those messages (it was down for more than a
        day, after which Telegram drops undelivered updates)."""
        if group.type != "group" or group.migrated_to is not None:
            raise ValueError("only a basic group that was not upgraded yet can be upgraded")
        new = self.group(
            group.title, type="supergroup", username=group.username, bot_is_admin=group.bot_is_admin
        )
        new.members = dict(group.members)
        group.migrated_to = new.id
        sender = by.as_user_dict()
        old_msg = self._new_message(group, sender, {"migrate_to_chat_id": new.id})
        new_msg = self._new_message(new, sender, {"migrate_from_chat_id": group.id})
        if announce:
            self.post_update({"message": copy.deepcopy(old_msg)})
            self.post_update({"message": copy.deepcopy(new_msg)})
        return new

    # ------------------------------------------------------------------ what users do

    def _bot_sees(self, chat: Chat, msg: dict[str, Any]) -> bool:
        """Group privacy mode: which group messages reach the bot."""
        if not isinstance(chat, FakeGroup) or not self.privacy_mode or chat.bot_is_admin:
            return True
        text = str(msg.get("text") or msg.get("caption") or "")
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            addressee = command.partition("@")[2]
            return not addressee or addressee.lower() == self.bot_username.lower()
        replied = msg.get("reply_to_message") or {}
        if replied.get("from", {}).get("id") == self.bot_id:
            return True
        return f"@{self.bot_username}".lower() in text.lower()

    def _private_member_change(self, user: FakeUser, old: str, new: str) -> None:
        def member(status: str) -> dict[str, Any]:
            out: dict[str, Any] = {"status": status, "user": self._bot_user()}
            if status == "kicked":
                out["until_date"] = 0
            return out

        self.post_update(
            {
                "my_chat_member": {
                    "chat": self._chats[user.id].as_dict(),
                    "from": user.as_user_dict(),
                    "date": self._now(),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )

    def _user_message(
        self,
        user: FakeUser,
        group: FakeGroup | None,
        content: dict[str, Any],
        reply_to: SentMessage | dict[str, Any] | None,
    ) -> dict[str, Any]:
        chat: Chat = group if group is not None else self._chats[user.id]
        if group is not None:
            group.members.setdefault(user.id, "member")
        replied: dict[str, Any] | None = None
        if reply_to is not None:
            raw = reply_to.raw if isinstance(reply_to, SentMessage) else reply_to
            replied = chat.messages.get(int(raw["message_id"]))
            if replied is None:
                raise LookupError(f"message {raw['message_id']} is not in chat {chat.id}")
        msg = self._new_message(chat, user.as_user_dict(), content, replied)
        if self._bot_sees(chat, msg):
            self.post_update({"message": copy.deepcopy(msg)})
        return copy.deepcopy(msg)

    def _user_edit(self, user: FakeUser, message: dict[str, Any], text: str) -> dict[str, Any]:
        chat = self._chats[int(message["chat"]["id"])]
        current = chat.messages.get(int(message["message_id"]))
        if current is None or current.get("from", {}).get("id") != user.id:
            raise LookupError(f"{user!r} can only edit their own messages")
        current["text"] = text
        current["edit_date"] = self._now()
        if self._bot_sees(chat, current):
            self.post_update({"edited_message": copy.deepcopy(current)})
        return copy.deepcopy(current)

    def _callback(self, user: FakeUser, message: SentMessage, data: str) -> str:
        chat = self._chats[message.chat_id]
        if isinstance(chat, PrivateChat) and chat.id != user.id:
            raise LookupError(f"{user!r} can't see messages in another user's private chat")
        query_id = str(4_000_000_000_000 + next(self._callback_ids))
        self.callbacks[query_id] = CallbackRecord(
            query_id, user.id, message.chat_id, message.message_id, data
        )
        self.post_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.as_user_dict(),
                    "message": copy.deepcopy(message.raw),
                    "chat_instance": str(abs(hash((self.bot_id, chat.id))) % 10**18),
                    "data": data,
                }
            }
        )
        return query_id
