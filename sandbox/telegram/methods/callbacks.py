"""answerCallbackQuery: the bot's answer to a button press (each query is answered once)."""

from __future__ import annotations

from typing import Any

from sandbox.telegram.errors import ApiError
from sandbox.telegram.records import UploadedFile
from sandbox.telegram.store import Store


class CallbackMethods(Store):
    """answerCallbackQuery."""

    async def _answer_callback_query(
        self, p: dict[str, Any], files: dict[str, UploadedFile]
    ) -> bool:
        record = self.callbacks.get(str(p["callback_query_id"]))
        if record is None or record.answered:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        record.answered = True
        record.answer = {k: v for k, v in p.items() if k != "callback_query_id"}
        return True
