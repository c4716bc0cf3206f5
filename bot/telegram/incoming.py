"""An aiogram update as the core's ``Incoming`` event."""

from __future__ import annotations

from aiogram import Bot
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, ChatMemberUpdated, InlineKeyboardMarkup, Message

from handlers.core.events import (
    ChatKind,
    EventKind,
    Incoming,
    Location,
    Membership,
    MessageRef,
    Photo,
    split_command,
)

CHANNEL = "telegram"


def reply_prefix(update_id: int) -> str:
    """What the outbox rows of one update's replies are keyed under."""
    return f"reply:{CHANNEL}:{update_id}"


def _kind(chat_type: str) -> ChatKind:
    return ChatKind.PRIVATE if chat_type == ChatType.PRIVATE else ChatKind.GROUP


def _payloads(markup: InlineKeyboardMarkup | None) -> tuple[str, ...]:
    if markup is None:
        return ()
    return tuple(b.callback_data for row in markup.inline_keyboard for b in row if b.callback_data)


def message_ref(message: Message) -> MessageRef:
    user = message.from_user
    return MessageRef(
        message_id=str(message.message_id),
        text=message.html_text if (message.text or message.caption) else "",
        payloads=_payloads(message.reply_markup),
        from_bot=bool(user and user.is_bot),
    )


def _photo(message: Message) -> Photo | None:
    if not message.photo:
        return None
    size = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
    return Photo(size.file_id, size.file_unique_id, size.file_size, size.width, size.height)


async def from_message(message: Message, bot: Bot) -> Incoming | None:
    user = message.from_user
    chat = message.chat
    moved = message.migrate_to_chat_id, message.migrate_from_chat_id
    if moved != (None, None):
        # Telegram says so twice: in the old group and in the new supergroup.
        old, new = (chat.id, moved[0]) if moved[0] is not None else (moved[1], chat.id)
        assert old is not None and new is not None
        return Incoming(
            channel=CHANNEL,
            kind=EventKind.MIGRATION,
            chat_id=str(old),
            chat_kind=ChatKind.GROUP,
            user_id=str(user.id if user else 0),
            migrated_to=str(new),
        )
    if user is None or user.is_bot:
        return None
    text = message.text or ""
    # A photo's caption may carry a command (/visit 张伟明 as the photo's caption).
    command, args = split_command(text or message.caption or "")
    source = text or message.caption or ""
    head = source.split(maxsplit=1)[0] if command is not None else ""
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
        chat_id=str(chat.id),
        chat_kind=_kind(chat.type),
        user_id=str(user.id),
        text=text,
        command=command,
        args=args,
        location=(
            Location(location.latitude, location.longitude, venue=message.venue is not None)
            if location
            else None
        ),
        photo=_photo(message),
        forwarded=message.forward_origin is not None,
        reply_to=message_ref(message.reply_to_message) if message.reply_to_message else None,
        chat_title=chat.title or "",
        language_code=user.language_code,
    )


def from_press(query: CallbackQuery) -> Incoming:
    message = query.message
    origin = message_ref(message) if isinstance(message, Message) else None
    chat = message.chat if message is not None else None
    return Incoming(
        channel=CHANNEL,
        kind=EventKind.PRESS,
        chat_id=str(chat.id if chat else query.from_user.id),
        chat_kind=_kind(chat.type) if chat else ChatKind.PRIVATE,
        user_id=str(query.from_user.id),
        payload=query.data,
        origin=origin,
        language_code=query.from_user.language_code,
    )


def from_member(event: ChatMemberUpdated) -> Incoming | None:
    """The bot's own membership: blocked or unblocked in a private chat, removed from or
    (re)added to a group. Other changes (promotions, restrictions) are not events for us."""
    status = event.new_chat_member.status
    kind = _kind(event.chat.type)
    if kind is ChatKind.PRIVATE:
        membership = {"kicked": Membership.GONE, "member": Membership.PRESENT}.get(status)
    else:
        membership = {"left": Membership.GONE, "kicked": Membership.GONE}.get(status)
    if membership is None:
        return None
    return Incoming(
        channel=CHANNEL,
        kind=EventKind.MEMBERSHIP,
        chat_id=str(event.chat.id),
        chat_kind=kind,
        user_id=str(event.from_user.id),
        membership=membership,
    )
