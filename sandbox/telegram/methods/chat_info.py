"""What the bot can look up about a chat: getChat, getChatMember, getChatAdministrators;
answers filled out to the spec's required fields."""

from __future__ import annotations

from typing import Any

from sandbox.telegram.chats import Chat, FakeGroup, PrivateChat
from sandbox.telegram.errors import ApiError
from sandbox.telegram.records import UploadedFile
from sandbox.telegram.store import Store


class ChatInfoMethods(Store):
    """getChat, getChatMember, getChatAdministrators."""

    async def _get_chat(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
        chat = self._chat(p["chat_id"])
        return self._fill_required(
            "ChatFullInfo", {**chat.as_dict(), "accent_color_id": 0, "max_reaction_count": 11}
        )

    def _status(self, chat: Chat, user_id: int) -> tuple[dict[str, Any], str]:
        if user_id == self.bot_id:
            admin = isinstance(chat, FakeGroup) and chat.bot_is_admin
            return self._bot_user(), "administrator" if admin else "member"
        user = self._users.get(user_id)
        if user is None:
            raise ApiError(400, "Bad Request: user not found")
        if isinstance(chat, PrivateChat):
            if chat.id != user_id:
                raise ApiError(400, "Bad Request: user not found")
            return user.as_user_dict(), "member"
        assert isinstance(chat, FakeGroup)
        return user.as_user_dict(), chat.members.get(user_id, "left")

    async def _get_chat_member(
        self, p: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        chat = self._chat(p["chat_id"])
        user, status = self._status(chat, int(p["user_id"]))
        return self._member(chat, user, status)

    async def _get_chat_administrators(
        self, p: dict[str, Any], files: dict[str, UploadedFile]
    ) -> list[dict[str, Any]]:
        chat = self._chat(p["chat_id"])
        if not isinstance(chat, FakeGroup):
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        out = []
        for uid, status in chat.members.items():
            if status in ("creator", "administrator"):
                out.append(self._member(chat, self._users[uid].as_user_dict(), status))
        if chat.bot_is_admin:
            out.append(self._member(chat, self._bot_user(), "administrator"))
        return out

    def _fill_required(
        self, type_name: str, given: dict[str, Any], flags: bool = False
    ) -> dict[str, Any]:
        """``given`` plus spec-required fields with neutral defaults (booleans = ``flags``)."""
        out = dict(given)
        for f in self.spec.types[type_name].get("fields", []):
            if not f["required"] or f["name"] in out:
                continue
            kind = f["types"][0]
            if "const" in f:
                out[f["name"]] = f["const"]
            elif kind == "Boolean":
                out[f["name"]] = flags
            elif kind in ("Integer", "Float"):
                out[f["name"]] = 0
            elif kind == "String":
                out[f["name"]] = ""
            elif kind.startswith("Array of "):
                out[f["name"]] = []
            elif kind in self.spec.types:
                out[f["name"]] = self._fill_required(kind, {}, flags)
        return out

    def _member(self, chat: Chat, user: dict[str, Any], status: str) -> dict[str, Any]:
        names = {
            "creator": "ChatMemberOwner",
            "administrator": "ChatMemberAdministrator",
            "member": "ChatMemberMember",
            "restricted": "ChatMemberRestricted",
            "left": "ChatMemberLeft",
            "kicked": "ChatMemberBanned",
        }
        if status not in names:
            raise ValueError(f"unknown member status {status!r}")
        flags = status in ("administrator", "restricted")
        given: dict[str, Any] = {"status": status, "user": user}
        if status == "administrator":
            given["can_be_edited"] = False
            given["is_anonymous"] = False
            # Not in Bot API 10.1, yet aiogram 3.31's model requires it; without it aiogram
            # cannot parse the answer at all.
            given["can_send_welcome_messages"] = True
        if status == "restricted":
            given["is_member"] = True
        return self._fill_required(names[status], given, flags)
