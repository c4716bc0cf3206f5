"""Which handler serves each Bot API method; a method missing here answers 501."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from sandbox.telegram.methods.bot_settings import BotSettingsMethods
from sandbox.telegram.methods.callbacks import CallbackMethods
from sandbox.telegram.methods.chat_info import ChatInfoMethods
from sandbox.telegram.methods.edits import EditMethods
from sandbox.telegram.methods.files import FileMethods
from sandbox.telegram.methods.messages import MessageMethods
from sandbox.telegram.methods.polling import PollingMethods
from sandbox.telegram.methods.webhooks import WebhookMethods
from sandbox.telegram.records import UploadedFile

# Parameters decoded by the spec checker, and the uploaded file parts; returns the result.
Handler = Callable[[dict[str, Any], dict[str, UploadedFile]], Awaitable[Any]]


class BotApiMethods(
    BotSettingsMethods,
    PollingMethods,
    WebhookMethods,
    MessageMethods,
    EditMethods,
    CallbackMethods,
    FileMethods,
    ChatInfoMethods,
):
    """Every area of methods, over the one store they share."""

    def _method_table(self) -> dict[str, Handler]:
        return {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "setMyName": partial(self._set_bot_text, "name"),
            "getMyName": partial(self._get_bot_text, "name"),
            "setMyDescription": partial(self._set_bot_text, "description"),
            "getMyDescription": partial(self._get_bot_text, "description"),
            "setMyShortDescription": partial(self._set_bot_text, "short_description"),
            "getMyShortDescription": partial(self._get_bot_text, "short_description"),
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "forwardMessage": self._forward_message,
            "copyMessage": self._copy_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendLocation": self._send_location,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "getFile": self._get_file,
        }
