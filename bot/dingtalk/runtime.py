"""DingTalk as one long-running part of ``zhucun run``: the Stream connection that brings
robot messages and card presses in, and the outbox relay that sends DingTalk's rows."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import handlers
from bot.context import AppContext
from bot.dingtalk.api import DingTalkApi
from bot.dingtalk.bridge import CHOICES, DingTalkBridge, stored_choices
from bot.dingtalk.incoming import CHANNEL
from bot.dingtalk.outgoing import Outgoing, Posted
from bot.dingtalk.sender import DingTalkSender
from bot.dingtalk.stream import StreamClient
from bot.relay.loop import Relay
from bot.relay.settings import RelaySettings
from locales import Catalogs
from services.messaging.conversations import StoredConversation, conversation_key

log = logging.getLogger(__name__)

# Robot send limits. DingTalk documents 20 QPS per app and API (its "调用频率限制" page)
# and, for webhook robots, 20 messages a minute into one group; it documents no per-user
# figure for an internal app's robot. The defaults stay well under both: 10 sends a second
# overall, one every 3 s to a chat, 20 a minute to a group. ZHUCUN_DINGTALK_* change them.
PER_CHAT_INTERVAL = 3.0
GROUP_PER_MINUTE = 20
GLOBAL_PER_SECOND = 10.0


def relay_settings(settings: Any) -> RelaySettings:
    base = RelaySettings.from_settings(settings)
    return RelaySettings(
        **{
            **base.__dict__,
            "per_chat_interval": settings.dingtalk_per_chat_interval or PER_CHAT_INTERVAL,
            "group_per_minute": settings.dingtalk_group_per_minute or GROUP_PER_MINUTE,
            "global_per_second": settings.dingtalk_global_per_second or GLOBAL_PER_SECOND,
            # DingTalk answers slower than Telegram: fewer requests at once.
            "max_in_flight": min(base.max_in_flight, 8),
        }
    )


def build_api(settings: Any) -> DingTalkApi:
    assert settings.dingtalk_client_id and settings.dingtalk_secret
    return DingTalkApi(
        client_id=settings.dingtalk_client_id,
        client_secret=settings.dingtalk_secret,
        robot_code=settings.dingtalk_robot,
        api_url=settings.dingtalk_api_url,
        oapi_url=settings.dingtalk_oapi,
    )


class DingTalkRuntime:
    """``prepare()`` checks the credentials; ``run()`` until ``stop()``."""

    def __init__(
        self, ctx: AppContext, catalogs: Catalogs | None = None, *, receive: bool = True
    ) -> None:
        if not ctx.settings.dingtalk:
            raise ValueError("DingTalk is not configured")
        self.ctx = ctx
        self.catalogs = catalogs or Catalogs()
        self.api = build_api(ctx.settings)
        self.outgoing = Outgoing(self.api, ctx.settings.dingtalk_card_template_id)
        self.relay: Relay | None = None
        self.bridge: DingTalkBridge | None = None
        self.stream: StreamClient | None = None
        # False: only the relay (``zhucun run --role worker``); the bot replicas receive.
        self.receive = receive
        self._stopping = asyncio.Event()
        self._prepared = False

    async def prepare(self) -> None:
        """Fetch a token (wrong credentials fail here, with DingTalk's code)."""
        await self.api.token()
        sessions = await self.ctx.sessions()
        sender = DingTalkSender(self.outgoing, self._remember)
        self.relay = Relay(
            sessions, sender, self.catalogs, self.ctx.clock, relay_settings(self.ctx.settings)
        )
        self.bridge = DingTalkBridge(
            handlers.core(),
            self.ctx.uow,
            self.ctx.clock,
            self.ctx.settings,
            self.catalogs,
            self.outgoing,
        )
        self.bridge.wake = self.relay.wake
        self._prepared = True
        settings = self.ctx.settings
        if not self.receive:
            return
        assert settings.dingtalk_client_id and settings.dingtalk_secret
        self.stream = StreamClient(
            client_id=settings.dingtalk_client_id,
            client_secret=settings.dingtalk_secret,
            api_url=settings.dingtalk_api_url,
            on_message=self._on_message,
            on_card=self.bridge.on_card,
        )
        log.info("DingTalk robot %s ready", settings.dingtalk_robot)

    async def _on_message(self, data: dict[str, Any], frame_id: str) -> None:
        assert self.bridge is not None
        await self.bridge.on_message(data)

    async def _remember(self, chat_id: str, posted: Posted) -> None:
        """A notice's buttons can be answered by typing too (its chat is the person's)."""
        async with await self.ctx.uow() as uow:
            key = conversation_key(CHANNEL, chat_id, chat_id)
            state = StoredConversation(uow.session, key, self.ctx.clock.now())
            await state.update_data(**{CHOICES: stored_choices(posted)})
            await uow.commit()

    async def run(self) -> None:
        if not self._prepared:
            await self.prepare()
        assert self.relay is not None
        relay_task = asyncio.create_task(self.relay.run(), name="dingtalk-relay")
        try:
            if self.stream is not None:
                await self.stream.run()
            else:
                await self._stopping.wait()
        finally:
            await self.relay.stop()
            await relay_task
            await self.api.close()

    async def stop(self) -> None:
        self._stopping.set()
        if self.stream is not None:
            await self.stream.stop()
