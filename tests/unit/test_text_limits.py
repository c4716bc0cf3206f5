"""Messengers' length limits at the edge: HTML shortened without breaking a tag or an
entity, counted as Telegram counts (UTF-16 after entity parsing); DingTalk's Markdown
kept within its limit; the relay's outbox rows shortened like replies."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.dingtalk.rendering import MARKDOWN_LIMIT, action_card, choices, markdown
from bot.telegram.sender import _method
from bot.text_limits import TELEGRAM_TEXT, shorten_html, visible_length
from handlers.core.views import Button
from handlers.notices import Rendered
from sandbox.telegram.spec.formatting import parse_html
from services.messaging.outbox_leases import Claimed


@pytest.mark.parametrize(
    "text",
    [
        "<b>标题</b>\n" + "村&lt;" * 3000 + "<i>尾</i>",
        "<b>" + "😀" * 3000 + "</b>",  # two UTF-16 units each
        "<code>" + "a&amp;b" * 2000 + "</code>",
        '<a href="https://example.org/?a=1&amp;b=2">' + "链接" * 3000 + "</a>",
        "平" * 4096,
    ],
)
def test_shortened_html_fits_and_stays_valid(text: str) -> None:
    short = shorten_html(text, TELEGRAM_TEXT)
    parsed = parse_html(short)  # the emulator's parser, as strict as Telegram's
    assert parsed.errors == []
    assert len(parsed.text.encode("utf-16-le")) // 2 <= TELEGRAM_TEXT
    assert visible_length(short) == len(parsed.text.encode("utf-16-le")) // 2
    if visible_length(text) > TELEGRAM_TEXT:
        assert "…" in short
    else:
        assert short == text


def test_nothing_is_cut_inside_an_entity_or_left_as_an_empty_tag() -> None:
    assert shorten_html("<b>ab</b><i>cd</i>", 3) == "<b>ab</b>…"
    assert shorten_html("ab&amp;cd", 4) == "ab&amp;…"
    assert shorten_html("abc<b>def</b>", 4) == "abc…"


def test_an_outbox_row_is_shortened_too() -> None:
    row = Claimed(
        id=1, chat_id="42", person_id=1, is_group=False, template="t", params={}, ref=None,
        document_name=None, document=None, attempts=0, language="zh", sent_message_id=None,
        lease=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    method = _method(row, Rendered("<b>" + "长" * 5000 + "</b>"), False, False)
    assert visible_length(method.text) <= TELEGRAM_TEXT  # type: ignore[union-attr]


def test_dingtalk_markdown_stays_within_its_limit() -> None:
    long = "<b>抽查</b>\n" + "下寨村\n" * 3000
    text = markdown(long)
    assert len(text) <= MARKDOWN_LIMIT and text.endswith("…")
    _, param = action_card(long, choices(((Button("好", "x:1"),),)))
    assert len(param["text"]) <= 5000
    assert len(json.dumps(param, ensure_ascii=False).encode()) <= 15000
    assert markdown("<b>短</b>") == "**短**"
