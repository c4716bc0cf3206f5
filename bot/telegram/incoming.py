"""An aiogram update as the core's ``Incoming`` event."""

from __future__ import annotations

from aiogram import Bot
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from handlers.core.events import ChatKind, EventKind, Incoming, Location, MessageRef, split_command

CHANNEL = "telegram"


def _kind(chat_type: str) -> ChatKind:
    return ChatKind.PRIVATE if chat_type == ChatType.PRIVATE else ChatKind.GROUP


def _payloads(markup: InlineKeyboardMarkup | None) -> tuple[str, ...]:
    if markup is None:
        return ()
    return tuple(b.callback_data for row in markup.inline_keyboard for b in row if b.callback_data)


def message_ref(message: Message) -> MessageRef:
    user = message.from_user
    return MessageRef(
        message_id=message.message_id,
        text=message.html_text if (message.text or message.caption) else "",
        payloads=_payloads(message.reply_markup),
        from_bot=bool(user and user.is_bot),
    )


async def from_message(message: Message, bot: Bot) -> Incoming | None:
    user = message.from_user
    if user is None or user.is_bot:
        return None
    text = message.text or ""
    command, args = split_command(text)
    head = text.split(maxsplit=1)[0] if command is not None else ""
    if "@" in head:
        # A command addressed to another bot in a group is not ours.
        mention = head.split("@", 1)[1]
        me = await bot.me()
        if (me.username or "").lower() != mention.lower():
            return None
    location = message.location
    return Incoming(
        channel=CHANNEL,
        kind=EventKind.MESSAGE,
        chat_id=message.chat.id,
        chat_kind=_kind(message.chat.type),
        user_id=user.id,
        text=text,
        command=command,
        args=args,
        location=Location(location.latitude, location.longitude) if location else None,
        photo=message.photo[-1].file_id if message.photo else None,
        reply_to=message_ref(message.reply_to_message) if message.reply_to_message else None,
    )


def from_press(query: CallbackQuery) -> Incoming:
    message = query.message
    origin = message_ref(message) if isinstance(message, Message) else None
    chat = message.chat if message is not None else None
    return Incoming(
        channel=CHANNEL,
        kind=EventKind.PRESS,
        chat_id=chat.id if chat else query.from_user.id,
        chat_kind=_kind(chat.type) if chat else ChatKind.PRIVATE,
        user_id=query.from_user.id,
        payload=query.data,
        origin=origin,
    )
