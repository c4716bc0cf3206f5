"""The bot's own profile: getMe, logOut/close, its commands, menu button, names and
descriptions (kept per scope and language, as Telegram keeps them)."""

from __future__ import annotations

import copy
import json
from typing import Any

from sandbox.telegram.errors import ApiError
from sandbox.telegram.records import UploadedFile
from sandbox.telegram.store import Store


class BotSettingsMethods(Store):
    """getMe, logOut, close, set/get/deleteMyCommands, set/getChatMenuButton, set/getMyName,
    set/getMyDescription, set/getMyShortDescription."""

    async def _true(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        return True

    async def _get_me(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @staticmethod
    def _scope_key(p: dict[str, Any]) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(p.get("language_code") or "")

    async def _set_my_commands(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        for cmd in p["commands"]:
            name = str(cmd.get("command", ""))
            if not name or not all(c.islower() or c.isdigit() or c == "_" for c in name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not name.isascii():
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands[self._scope_key(p)] = [dict(c) for c in p["commands"]]
        return True

    async def _get_my_commands(
        self, p: dict[str, Any], files: dict[str, UploadedFile]
    ) -> list[dict[str, Any]]:
        return copy.deepcopy(self.commands.get(self._scope_key(p), []))

    async def _delete_my_commands(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        self.commands.pop(self._scope_key(p), None)
        return True

    async def _set_chat_menu_button(
        self, p: dict[str, Any], files: dict[str, UploadedFile]
    ) -> bool:
        chat_id = p.get("chat_id")
        if chat_id is not None:
            self._chat(chat_id)
        self.menu_buttons[chat_id] = p.get("menu_button") or {"type": "default"}
        return True

    async def _get_chat_menu_button(
        self, p: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        chat_id = p.get("chat_id")
        button = self.menu_buttons.get(chat_id) or self.menu_buttons.get(None)
        return dict(button) if button else {"type": "commands"}

    async def _set_bot_text(
        self, kind: str, p: dict[str, Any], files: dict[str, UploadedFile]
    ) -> bool:
        key = (kind, str(p.get("language_code") or ""))
        value = p.get(kind)
        if value:
            self.bot_texts[key] = str(value)
        else:
            self.bot_texts.pop(key, None)
        return True

    async def _get_bot_text(
        self, kind: str, p: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        lang = str(p.get("language_code") or "")
        value = self.bot_texts.get((kind, lang), self.bot_texts.get((kind, ""), ""))
        if kind == "name" and not value:
            value = self.bot_name
        return {kind: value}
