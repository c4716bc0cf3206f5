"""Notices of registration: the greeting to someone the office bound to their DingTalk
account by the mobile number in the organisation's contacts (services/roster/by_mobile.py)."""

from __future__ import annotations

from html import escape
from typing import Any

from handlers.notices import Rendered, notice
from locales import Translator


@notice("account.bound_by_mobile")
def bound_by_mobile(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(
        t(
            "Hello, {name}! You are registered with Zhucun by your mobile number in "
            "DingTalk's contacts. Send /help to see what you can do.",
            name=escape(params["name"]),
        )
    )
