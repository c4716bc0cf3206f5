"""Sending to one DingTalk chat: a text, a text with buttons, a file, a card's update.

A private chat is addressed by the person's staff id, a group by its conversation id. A
reply goes through the message's ``sessionWebhook`` while that is valid (no token, no
quota); everything else, and every card, through the OpenAPI.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from bot.dingtalk import rendering
from bot.dingtalk.api import DingTalkApi, DingTalkError
from bot.dingtalk.rendering import Choice
from handlers.core.views import Keyboard

# A webhook this close to its expiry is not trusted with a reply.
WEBHOOK_MARGIN_MS = 60_000


class Unreachable(Exception):
    """DingTalk named the person an invalid user (gone from the organisation, or never in
    it): nothing can be sent to them."""


class FlowControlled(Exception):
    """DingTalk put the person off for now (too many messages to them)."""


@dataclass(frozen=True)
class Chat:
    chat_id: str
    group: bool
    webhook: str | None = None
    webhook_expires_ms: int = 0

    def webhook_usable(self) -> bool:
        now_ms = int(time.time() * 1000)
        return bool(self.webhook) and self.webhook_expires_ms - WEBHOOK_MARGIN_MS > now_ms


@dataclass(frozen=True)
class Posted:
    """A message that went out: its id (a card's outTrackId, else DingTalk's send key)
    and, when it has buttons, the typed answers to them."""

    message_id: str
    choices: tuple[Choice, ...] = ()


class Outgoing:
    def __init__(self, api: DingTalkApi, card_template: str | None) -> None:
        self.api = api
        self.card_template = card_template

    async def text(self, chat: Chat, html: str, buttons: Keyboard = ()) -> Posted:
        options = rendering.choices(buttons)
        if options and self.card_template:
            card = f"zc-{uuid.uuid4().hex}"
            params = rendering.card_params(html, options)
            if chat.group:
                await self.api.send_card(
                    card, self.card_template, params, conversation_id=chat.chat_id
                )
            else:
                await self.api.send_card(card, self.card_template, params, user_id=chat.chat_id)
            return Posted(card, tuple(options))
        if options:
            msg_key, param = rendering.action_card(html, options)
        else:
            msg_key, param = rendering.markdown_message(html)
        return Posted(await self._send(chat, msg_key, param), tuple(options))

    async def edit(
        self, chat: Chat, message_id: str | None, html: str | None, buttons: Keyboard
    ) -> Posted | None:
        """A card is updated in place; any other message cannot be, so the new text is
        said anew (and buttons-only changes are left: the server re-checks every press)."""
        if message_id and message_id.startswith("zc-") and self.card_template:
            options = rendering.choices(buttons)
            params = (
                rendering.card_params(html, options)
                if html is not None
                else {"buttons": rendering.card_params("", options)["buttons"]}
            )
            await self.api.update_card(message_id, params)
            return Posted(message_id, tuple(options))
        if html is None:
            return None
        return await self.text(chat, html, buttons)

    async def file(self, chat: Chat, name: str, data: bytes) -> str:
        media_id = await self.api.upload(name, data)
        kind = name.rsplit(".", 1)[-1].lower() if "." in name else "file"
        return await self._send(
            chat, "sampleFile", {"mediaId": media_id, "fileName": name, "fileType": kind}
        )

    async def _send(self, chat: Chat, msg_key: str, param: dict[str, str]) -> str:
        body = rendering.webhook_body(msg_key, param)
        if body is not None and chat.webhook_usable():
            assert chat.webhook is not None
            try:
                await self.api.reply_by_session(chat.webhook, body)
                return f"webhook-{uuid.uuid4().hex}"
            except DingTalkError:
                pass  # expired early, or refused: the OpenAPI reaches them as well
        if chat.group:
            return await self.api.send_to_group(chat.chat_id, msg_key, param)
        result = await self.api.send_to_users([chat.chat_id], msg_key, param)
        if chat.chat_id in result.invalid:
            raise Unreachable(chat.chat_id)
        if chat.chat_id in result.flow_controlled:
            raise FlowControlled(chat.chat_id)
        return result.process_query_key
