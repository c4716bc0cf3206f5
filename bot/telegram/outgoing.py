"""Core views as Bot API calls."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.text_limits import (
    TELEGRAM_CAPTION,
    TELEGRAM_TEXT,
    TELEGRAM_TOAST,
    shorten_html,
    shorten_plain,
)
from handlers.core.events import Incoming
from handlers.core.views import Document, Edit, Keyboard, Menu, Text, Toast, View

ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def markup(buttons: Keyboard | InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """Buttons as Telegram's inline keyboard (None for none)."""
    if buttons is None or isinstance(buttons, InlineKeyboardMarkup):
        return buttons
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.label, callback_data=b.payload) for b in row]
            for row in buttons
        ]
    )


def text_markup(view: Text) -> ReplyMarkup | None:
    if view.ask_location is not None:
        return ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=view.ask_location, request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    if view.clear_keyboard:
        return ReplyKeyboardRemove()
    return markup(view.buttons)


async def answer_press(query: CallbackQuery, toast: Toast | None) -> None:
    """Every press is answered, so the client stops its spinner."""
    if toast is None or not toast.text:
        await query.answer()
    else:
        await query.answer(shorten_plain(toast.text, TELEGRAM_TOAST), show_alert=toast.alert)


async def send(bot: Bot, event: Incoming, view: View) -> str | None:
    """One view, in the chat the event came from; the id of a message it became."""
    chat_id = int(event.chat_id)
    if isinstance(view, Text):
        text = shorten_html(view.text, TELEGRAM_TEXT)
        sent = await bot.send_message(chat_id, text, reply_markup=text_markup(view))
        return str(sent.message_id)
    if isinstance(view, Document):
        sent = await bot.send_document(
            chat_id,
            BufferedInputFile(view.data, filename=view.name),
            caption=shorten_html(view.caption, TELEGRAM_CAPTION) if view.caption else None,
            reply_markup=markup(view.buttons),
        )
        return str(sent.message_id)
    if isinstance(view, Menu):
        commands = [BotCommand(command=c, description=d) for c, d in view.commands]
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=chat_id))
        return None
    if isinstance(view, Edit):
        remembered = view.message_id
        if remembered is None and event.origin is not None:
            remembered = event.origin.message_id
        message_id = int(remembered) if remembered is not None else None
        if message_id is None:  # the message is gone (too old to edit): say it anew
            if view.text is None:
                return None
            text = shorten_html(view.text, TELEGRAM_TEXT)
            sent = await bot.send_message(chat_id, text, reply_markup=markup(view.buttons))
            return str(sent.message_id)
        if view.text is None:
            await bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=markup(view.buttons)
            )
        else:
            await bot.edit_message_text(
                shorten_html(view.text, TELEGRAM_TEXT),
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=markup(view.buttons),
            )
        return None
    if isinstance(view, Toast) and view.text:
        # A toast answers a press; for a typed message it is simply said.
        sent = await bot.send_message(chat_id, shorten_html(view.text, TELEGRAM_TEXT))
        return str(sent.message_id)
    return None
