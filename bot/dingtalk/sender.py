"""The relay's sender for DingTalk: an outbox row becomes a robot message (or a card) to a
person or a group, and DingTalk's answer one of the relay's outcomes.

- an invalid user (gone from the organisation, or never in it): dead, and the person's
  DingTalk account is marked unreachable with that reason, so nothing more is queued;
- a user DingTalk holds back (``flowControlledStaffIdList``) or a QPS limit: retried later,
  the chat paused, the attempt not counted;
- an expired token: the client fetched a new one and tried once more; a refusal after
  that, a server error or a broken connection: retried with backoff;
- anything else DingTalk refuses: dead, with its code.

A document goes in two parts: its text (with any buttons) first, the file after it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp

from bot.dingtalk.api import DingTalkError
from bot.dingtalk.incoming import CHANNEL
from bot.dingtalk.outgoing import Chat, FlowControlled, Outgoing, Posted, Unreachable
from bot.relay.outcomes import Dead, FirstPartSent, Outcome, Retry, Sent
from handlers.notices import Rendered
from services.messaging.outbox_leases import Claimed

# DingTalk names no wait for a user it holds back: a minute, not counted as an attempt.
FLOW_CONTROL_WAIT = 60.0
THROTTLE_WAIT = 2.0

Remember = Callable[[str, Posted], Awaitable[None]]


class DingTalkSender:
    channel = CHANNEL

    def __init__(self, outgoing: Outgoing, remember: Remember | None = None) -> None:
        self.outgoing = outgoing
        # Keeps a private message's typed answers, so "同意" or "1" presses its buttons.
        self.remember = remember

    async def deliver(self, row: Claimed, rendered: Rendered) -> Outcome:
        chat = Chat(row.chat_id, group=row.is_group)
        try:
            if row.document is not None and row.sent_message_id is not None:
                await self.outgoing.file(chat, row.document_name or "document", row.document)
                return Sent(row.sent_message_id)
            posted = await self.outgoing.text(chat, rendered.text, rendered.buttons)
        except Unreachable:
            return Dead("invalidStaffId: not a member of the organisation", blocked=True)
        except FlowControlled:
            return Retry("flowControlled", after=FLOW_CONTROL_WAIT, counted=False)
        except DingTalkError as exc:
            if exc.throttled:
                return Retry(f"{exc.status} {exc.code}", after=THROTTLE_WAIT, counted=False)
            if exc.server_side or exc.token_invalid:
                return Retry(f"{exc.status} {exc.code}")
            return Dead(f"{exc.status} {exc.code}: {exc.message}"[:300])
        except (aiohttp.ClientConnectionError, OSError) as exc:
            return Retry(f"network: {type(exc).__name__}")
        if self.remember is not None and not row.is_group and posted.choices:
            await self.remember(row.chat_id, posted)
        if row.document is not None:
            return FirstPartSent(posted.message_id)
        return Sent(posted.message_id)
