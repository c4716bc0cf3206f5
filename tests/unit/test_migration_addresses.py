"""Revision 0008 makes chat, message and delivery ids text: a database in use at 0007
(accounts, a bound group, sent and waiting outbox rows, handled updates) comes through with
every id as its decimal text and the bot still finding everyone; a downgrade turns them back
into integers, and refuses while a DingTalk row (whose ids are not numbers) would be lost."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from models import migrate
from models.db import create_engine, session_factory
from services.roster.identity import identify
from tests.unit.test_migration_accounts import T0, _all, _seed_at_0005

BEFORE = "0007"
AFTER = "0008"

groups = sa.table(
    "group_chats",
    sa.column("id", sa.Integer()),
    sa.column("chat_id", sa.BigInteger()),
    sa.column("title", sa.String()),
    sa.column("scope", sa.String()),
    sa.column("bound_at", sa.DateTime(timezone=True)),
)
inbox_old = sa.table(
    "inbox_updates",
    sa.column("update_id", sa.BigInteger()),
    sa.column("received_at", sa.DateTime(timezone=True)),
)
inbox_new = sa.table(
    "inbox_entries",
    sa.column("channel", sa.String()),
    sa.column("delivery_id", sa.String()),
    sa.column("received_at", sa.DateTime(timezone=True)),
)
accounts = sa.table(
    "channel_accounts",
    sa.column("person_id", sa.Integer()),
    sa.column("channel", sa.String()),
    sa.column("external_id", sa.String()),
    sa.column("chat_id", sa.Integer()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
outbox = sa.table(
    "outbox_messages",
    sa.column("id", sa.Integer()),
    sa.column("chat_id", sa.Integer()),
    sa.column("sent_message_id", sa.Integer()),
)


async def _at_0007(url: str) -> Any:
    engine = create_engine(url)
    await _seed_at_0005(engine)
    await migrate.upgrade(engine, BEFORE)
    async with engine.begin() as conn:
        await conn.execute(
            groups.insert().values(
                id=1, chat_id=-1001000000009, title="群", scope="county", bound_at=T0
            )
        )
        await conn.execute(inbox_old.insert(), [{"update_id": 900_000_001, "received_at": T0}])
        await conn.execute(outbox.update().where(outbox.c.id == 1).values(sent_message_id=77))
    return engine


async def test_ids_become_their_decimal_text_and_come_back(empty_database_url: str) -> None:
    engine = await _at_0007(empty_database_url)
    before_accounts = await _all(
        engine, sa.select(accounts.c.external_id, accounts.c.chat_id).order_by(accounts.c.person_id)
    )
    await migrate.upgrade(engine, AFTER)

    found = await _all(
        engine,
        sa.select(sa.column("channel"), sa.column("chat_id")).select_from(sa.table("group_chats")),
    )
    assert found == [("telegram", "-1001000000009")]
    assert await _all(engine, sa.select(inbox_new.c.channel, inbox_new.c.delivery_id)) == [
        ("telegram", "900000001")
    ]
    text_accounts = await _all(
        engine,
        sa.select(sa.column("external_id"), sa.column("chat_id"))
        .select_from(sa.table("channel_accounts"))
        .order_by(sa.column("person_id")),
    )
    assert text_accounts == [(e, str(c)) for e, c in before_accounts]
    sent = await _all(
        engine,
        sa.select(sa.column("chat_id"), sa.column("sent_message_id"))
        .select_from(sa.table("outbox_messages"))
        .where(sa.column("id") == 1),
    )
    assert sent == [("7001", "77")]
    # The bot still finds the people by their Telegram accounts.
    async with session_factory(engine)() as session:
        who = await identify(session, "telegram", before_accounts[0][0])
        assert who is not None

    await migrate.downgrade(engine, BEFORE)
    assert await _all(engine, sa.select(inbox_old.c.update_id)) == [(900_000_001,)]
    assert await _all(engine, sa.select(groups.c.chat_id)) == [(-1001000000009,)]
    assert (
        await _all(
            engine,
            sa.select(accounts.c.external_id, accounts.c.chat_id).order_by(accounts.c.person_id),
        )
        == before_accounts
    )
    await engine.dispose()


@pytest.mark.parametrize("table", ["channel_accounts", "inbox_entries"])
async def test_downgrade_refuses_while_dingtalk_rows_exist(
    empty_database_url: str, table: str
) -> None:
    engine = await _at_0007(empty_database_url)
    await migrate.upgrade(engine, AFTER)
    async with engine.begin() as conn:
        if table == "channel_accounts":
            await conn.execute(
                sa.text(
                    "INSERT INTO channel_accounts (person_id, channel, external_id, chat_id, "
                    "created_at) VALUES (3, 'dingtalk', 'manager4711', 'manager4711', :t)"
                ).bindparams(t=T0)
            )
        else:
            await conn.execute(
                inbox_new.insert().values(
                    channel="dingtalk", delivery_id="msgAbC==", received_at=T0
                )
            )
    with pytest.raises(RuntimeError, match="other than Telegram"):
        await migrate.downgrade(engine, BEFORE)
    assert await migrate.current(engine) == AFTER
    await engine.dispose()
