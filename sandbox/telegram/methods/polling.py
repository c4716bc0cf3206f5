"""getUpdates: the long poll through which a bot without a webhook receives its updates."""

from __future__ import annotations

import asyncio
import contextlib
import copy
from typing import Any

from sandbox.telegram.errors import ApiError
from sandbox.telegram.records import UploadedFile
from sandbox.telegram.store import Store


class PollingMethods(Store):
    """getUpdates."""

    async def _get_updates(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = p.get("offset")
        if isinstance(offset, int) and offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif isinstance(offset, int) and offset < 0:
            self._updates = self._updates[offset:]
        if "allowed_updates" in p:
            self._allowed_updates = list(p["allowed_updates"])
        limit = min(max(int(p.get("limit") or 100), 1), 100)
        timeout = max(int(p.get("timeout") or 0), 0)
        # A newer getUpdates terminates an older one, as on Telegram.
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._closing.is_set():
                return []
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = self._deliverable(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0:
                return copy.deepcopy(batch)
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)
