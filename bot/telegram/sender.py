"""Sending an outbox row to Telegram: the request for it, and what Telegram's answer means.

====================================  ===================================================
Telegram's answer / what happened     outcome (:mod:`bot.relay.outcomes`)
====================================  ===================================================
the message                           sent, with its id
429 Too Many Requests                 retry after ``retry_after``, not counted as an attempt
5xx, or a network error (no           retry, backing off
connection, connection broken)
401, 404, 409, other codes            as 5xx: the bot's own trouble, not the row's, so the
                                      row waits rather than dies
400 Bad Request, 413                  dead, with Telegram's reason
400 "group migrated to supergroup"    moved to the new chat id
403 Forbidden                         dead, the chat refuses the bot
aiogram's own timeout, an answer we   uncertain
could not read
====================================  ===================================================

Any other error propagates: the relay counts the send as uncertain.

A document goes with the rendered text as its caption. When the text is too long for a
caption (1024 characters) it goes first as a message of its own (carrying the buttons, so
the card is that message) and the document follows as a reply to it; the row records the
first part's message id in between, so a retry sends only what is missing.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import SendDocument, SendMessage
from aiogram.types import BufferedInputFile, ReplyParameters

from bot.relay.outcomes import Dead, FirstPartSent, Moved, Outcome, Retry, Sent, Uncertain
from bot.telegram.outgoing import markup
from bot.text_limits import TELEGRAM_CAPTION, TELEGRAM_TEXT, shorten_html, visible_length
from handlers.notices import Rendered
from services.messaging.outbox_leases import Claimed
from services.roster.accounts import TELEGRAM

CAPTION_LIMIT = TELEGRAM_CAPTION  # Telegram's, in UTF-16 code units after entity parsing


class TelegramSender:
    """The relay's sender for Telegram, over one aiogram ``Bot``."""

    channel = TELEGRAM

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def deliver(self, row: Claimed, rendered: Rendered) -> Outcome:
        # Once the text part went, the row stays a two-part send whatever the text is now.
        split = row.document is not None and (
            row.sent_message_id is not None or visible_length(rendered.text) > CAPTION_LIMIT
        )
        first_part = split and row.sent_message_id is None
        try:
            message = await self.bot(_method(row, rendered, split, first_part))
        except TelegramRetryAfter as exc:
            return Retry(f"429 {exc.message}", after=exc.retry_after, counted=False)
        except TelegramMigrateToChat as exc:
            return Moved(str(exc.migrate_to_chat_id))
        except TelegramForbiddenError as exc:
            return Dead(f"403 {exc.message}", blocked=True)
        except (TelegramBadRequest, TelegramEntityTooLarge) as exc:
            code = 413 if isinstance(exc, TelegramEntityTooLarge) else 400
            return Dead(f"{code} {exc.message}")
        except TelegramNetworkError as exc:
            if isinstance(exc.__cause__, TimeoutError):
                return Uncertain(f"no answer (aiogram timeout): {exc.message}")
            # No connection, or it broke: retried, as the issue asks. The usual case is a
            # keep-alive connection the server had closed, which never reached Telegram.
            return Retry(f"network: {exc.message}")
        except (
            TelegramServerError,
            TelegramUnauthorizedError,
            TelegramNotFound,
            TelegramConflictError,
        ) as exc:
            return Retry(f"{type(exc).__name__}: {exc.message}")
        except TelegramAPIError as exc:  # an error code aiogram has no class for
            return Retry(f"{type(exc).__name__}: {exc.message}")
        except ClientDecodeError as exc:
            return Uncertain(f"unreadable answer: {exc.message}")
        if first_part:
            return FirstPartSent(str(message.message_id))
        card = row.sent_message_id if split and row.sent_message_id else str(message.message_id)
        return Sent(card)


def _method(
    row: Claimed, rendered: Rendered, split: bool, first_part: bool
) -> SendMessage | SendDocument:
    if row.document is None or first_part:
        return SendMessage(
            chat_id=int(row.chat_id),
            text=shorten_html(rendered.text, TELEGRAM_TEXT),
            parse_mode=ParseMode.HTML,
            reply_markup=markup(rendered.buttons),
        )
    document = BufferedInputFile(row.document, filename=row.document_name or "document")
    if split:  # the text (and its buttons) went first; the document answers it
        assert row.sent_message_id is not None
        return SendDocument(
            chat_id=int(row.chat_id),
            document=document,
            reply_parameters=ReplyParameters(
                message_id=int(row.sent_message_id), allow_sending_without_reply=True
            ),
        )
    return SendDocument(
        chat_id=int(row.chat_id),
        document=document,
        caption=rendered.text,
        parse_mode=ParseMode.HTML,
        reply_markup=markup(rendered.buttons),
    )
