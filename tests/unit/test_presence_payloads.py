"""Presence's buttons on the core keep the bytes aiogram's CallbackData wrote, so buttons
already in people's chats keep working."""

from __future__ import annotations

import gettext

from handlers.core.views import Button
from handlers.presence import payloads as callbacks
from handlers.presence.views import (
    explain_keyboard,
    recall_keyboard,
    replaced_keyboard,
    sheet_keyboard,
    spot_decision_keyboard,
)
from locales import Translator


def test_wire_format_is_unchanged() -> None:
    assert callbacks.SpotCb(action="confirm", target_id=7).pack() == "spc:confirm:7"
    assert callbacks.SheetCb(action="confirm", sheet_id=3).pack() == "ats:confirm:3"
    assert callbacks.SpotCb.unpack("spc:explain:12") == callbacks.SpotCb("explain", 12)
    assert callbacks.SpotCb.unpack("spc:explain:x") is None


def test_keyboards_are_neutral_and_pack_the_same_data() -> None:
    t = Translator("en", gettext.NullTranslations())
    assert spot_decision_keyboard(t, 9) == (
        (Button("Confirm absence", "spc:confirm:9"), Button("Clear", "spc:clear:9")),
    )
    assert explain_keyboard(t, 9) == ((Button("Explain", "spc:explain:9"),),)
    assert sheet_keyboard(t, 2) == ((Button("Confirm the sheet", "ats:confirm:2"),),)
    assert recall_keyboard(t, 4) == (
        (Button("Approve recall", "rc:ok:4"), Button("Do not recall", "rc:no:4")),
    )
    assert replaced_keyboard(t, 4) == ((Button("Replacement sent", "rc:done:4"),),)
