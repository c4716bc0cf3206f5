"""Webhooks: set up under Telegram's rules (relaxed for loopback URLs, so tests can receive
the pushes), and updates pushed to them for real, one at a time."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout

from sandbox.telegram.errors import ApiError
from sandbox.telegram.records import UploadedFile
from sandbox.telegram.store import Store


class WebhookMethods(Store):
    """setWebhook, deleteWebhook, getWebhookInfo, and the pushing of updates."""

    async def _set_webhook(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        url = str(p["url"]).strip()
        if not url:
            return await self._delete_webhook(p, files)
        parsed = urlsplit(url)
        # Telegram's rules, relaxed for loopback so tests can receive the pushes.
        if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
            if parsed.scheme != "https":
                raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
            if (parsed.port or 443) not in (80, 88, 443, 8443):
                raise ApiError(
                    400,
                    "Bad Request: bad webhook: Webhook can be set up only on ports "
                    "80, 88, 443 or 8443",
                )
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if "allowed_updates" in p:
            self._allowed_updates = list(p["allowed_updates"])
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {"url": p["url"], "secret_token": p.get("secret_token")}
        self._poll_generation += 1  # end any long poll still waiting
        self._notify()
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_webhook())
        return True

    async def _delete_webhook(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        self.webhook = None
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self._notify()
        return True

    async def _get_webhook_info(
        self, p: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook and self.webhook.get("last_error_message"):
            info["last_error_date"] = self.webhook["last_error_date"]
            info["last_error_message"] = self.webhook["last_error_message"]
        if self._allowed_updates:
            info["allowed_updates"] = list(self._allowed_updates)
        return info

    async def _deliver_webhook(self) -> None:
        """Push updates one at a time, like Telegram with max_connections=1."""
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            while self.webhook is not None and not self._closing.is_set():
                batch = self._deliverable(1)
                if not batch:
                    changed = self._changed
                    await changed.wait()
                    continue
                update = batch[0]
                headers = {}
                if self.webhook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
                try:
                    async with session.post(
                        self.webhook["url"], json=update, headers=headers
                    ) as resp:
                        body = await resp.read()
                        ok = resp.status < 300
                        error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
                except (ClientError, TimeoutError) as exc:
                    ok, body, error = False, b"", f"Connection failed: {exc!r}"
                if not ok:
                    if self.webhook is not None:
                        self.webhook.update(last_error_date=self._now(), last_error_message=error)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._closing.wait(), 0.2)
                    continue
                self._updates = [u for u in self._updates if u is not update]
                self._notify()
                await self._webhook_reply(body)

    async def _webhook_reply(self, body: bytes) -> None:
        """A webhook may answer with one method call in its response body."""
        if not body.strip():
            return
        try:
            data = json.loads(body)
        except ValueError:
            self.violations.append("webhook reply: response body is not JSON")
            return
        if isinstance(data, dict) and "method" in data:
            method = str(data.pop("method"))
            await self._process(self.token, method, data, {}, via="webhook")
