"""Core views as Bot API calls."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from handlers.core.events import Incoming
from handlers.core.views import Document, Edit, Keyboard, Text, Toast, View


def markup(buttons: Keyboard | InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """Buttons as Telegram's inline keyboard (None for none). Notices not yet on the core
    still hand over an aiogram keyboard; it passes through."""
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


async def answer_press(query: CallbackQuery, toast: Toast | None) -> None:
    """Every press is answered, so the client stops its spinner."""
    if toast is None or not toast.text:
        await query.answer()
    else:
        await query.answer(toast.text, show_alert=toast.alert)


async def send(bot: Bot, event: Incoming, view: View) -> None:
    """One view, in the chat the event came from."""
    chat_id = event.chat_id
    if isinstance(view, Text):
        await bot.send_message(chat_id, view.text, reply_markup=markup(view.buttons))
    elif isinstance(view, Document):
        await bot.send_document(
            chat_id,
            BufferedInputFile(view.data, filename=view.name),
            caption=view.caption or None,
        )
    elif isinstance(view, Edit):
        origin = event.origin
        if origin is None:  # the message is gone (too old to edit): say it anew
            if view.text is not None:
                await bot.send_message(chat_id, view.text, reply_markup=markup(view.buttons))
            return
        if view.text is None:
            await bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=origin.message_id, reply_markup=markup(view.buttons)
            )
        else:
            await bot.edit_message_text(
                view.text,
                chat_id=chat_id,
                message_id=origin.message_id,
                reply_markup=markup(view.buttons),
            )
    elif isinstance(view, Toast) and view.text:
        # A toast answers a press; for a typed message it is simply said.
        await bot.send_message(chat_id, view.text)
