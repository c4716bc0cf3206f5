"""Revision 0006 moves the Telegram binding from people to channel_accounts: a database in
use at 0006 (people registered, one who blocked the bot, conversations under way, messages
waiting in the outbox) comes through the upgrade with nothing lost and the bot still knowing
everyone, and a downgrade puts the columns back as they were. On every backend the suite
runs on (``empty_database_url``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from models import migrate
from models.db import create_engine, session_factory
from models.types import UTCDateTime
from services.messaging import outbox_leases
from services.roster.accounts import TELEGRAM
from services.roster.identity import identify

BEFORE = "0006"
AFTER = "0007"
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
BLOCKED = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)

# The tables as they were at 0005 (the models describe the newest schema only).
people = sa.table(
    "people",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("phone", sa.String()),
    sa.column("telegram_user_id", sa.BigInteger()),
    sa.column("language", sa.String()),
    sa.column("registered_at", UTCDateTime()),
    sa.column("blocked_bot_at", UTCDateTime()),
    sa.column("menu_hash", sa.String()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
invites = sa.table(
    "invites",
    sa.column("id", sa.Integer()),
    sa.column("person_id", sa.Integer()),
    sa.column("token_hash", sa.String()),
    sa.column("created_at", UTCDateTime()),
    sa.column("expires_at", UTCDateTime()),
    sa.column("used_at", UTCDateTime()),
)
conversations = sa.table(
    "conversation_states",
    sa.column("key", sa.String()),
    sa.column("state", sa.String()),
    sa.column("data", sa.Text()),
    sa.column("updated_at", UTCDateTime()),
)
OUTBOX_TYPES: dict[str, Any] = {
    "id": sa.Integer(), "dedup_key": sa.String(), "chat_id": sa.BigInteger(),
    "person_id": sa.Integer(), "is_group": sa.Boolean(), "template": sa.String(),
    "params": sa.Text(), "state": sa.String(), "attempts": sa.Integer(),
    "not_before": UTCDateTime(), "created_at": UTCDateTime(), "last_error": sa.Text(),
}  # fmt: skip
OUTBOX_COLUMNS = tuple(OUTBOX_TYPES)
outbox = sa.table("outbox_messages", *(sa.column(c, t) for c, t in OUTBOX_TYPES.items()))
accounts = sa.table(
    "channel_accounts",
    sa.column("person_id", sa.Integer()),
    sa.column("channel", sa.String()),
    sa.column("external_id", sa.String()),
    sa.column("chat_id", sa.BigInteger()),
    sa.column("blocked_at", UTCDateTime()),
    sa.column("created_at", UTCDateTime()),
)

# (id, name, Telegram user id, blocked the bot at): 王芳 and 李强 registered, 李强 has
# blocked the bot, 张伟 never registered; 赵敏's id needs all 64 bits of the column.
PEOPLE = [
    (1, "王芳", 7001, None),
    (2, "李强", 7002, BLOCKED),
    (3, "张伟", None, None),
    (4, "赵敏", 7_000_000_004, None),
]
CONVERSATIONS = [
    {"key": "bot:7001:7001", "state": "LeaveForm:dates", "data": '{"kind": "sick"}'},
    {"key": "bot:7_000_000_004:7_000_000_004", "state": None, "data": "{}"},
]


def _outbox_rows() -> list[dict[str, Any]]:
    base = {"is_group": False, "params": "{}", "attempts": 0, "last_error": "", "created_at": T0}
    return [
        # waiting for 王芳, one of them due only tomorrow
        {**base, "id": 1, "dedup_key": "a", "chat_id": 7001, "person_id": 1,
         "template": "leave.card", "state": "pending", "not_before": T0},
        {**base, "id": 2, "dedup_key": "b", "chat_id": 7001, "person_id": 1,
         "template": "visit.due", "state": "pending", "not_before": T0 + timedelta(days=1)},
        # a county group's
        {**base, "id": 3, "dedup_key": "c", "chat_id": -100123, "person_id": None,
         "is_group": True, "template": "meeting.leader_group", "state": "pending",
         "not_before": T0},
        # 李强's, dead when he blocked the bot
        {**base, "id": 4, "dedup_key": "d", "chat_id": 7002, "person_id": 2,
         "template": "leave.card", "state": "dead", "not_before": T0,
         "last_error": "403 Forbidden: bot was blocked by the user"},
        {**base, "id": 5, "dedup_key": "e", "chat_id": 7_000_000_004, "person_id": 4,
         "template": "term_end.cadre", "state": "pending", "not_before": T0},
    ]  # fmt: skip


async def _seed_at_0005(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine, BEFORE)
    async with engine.begin() as conn:
        await conn.execute(
            people.insert(),
            [
                {
                    "id": ident,
                    "name": name,
                    "phone": f"1380000000{ident}",
                    "telegram_user_id": tg,
                    "language": "zh-hans" if tg else None,
                    "registered_at": T0 if tg else None,
                    "blocked_bot_at": blocked,
                    "menu_hash": None,
                    "created_at": T0,
                    "updated_at": T0,
                }
                for ident, name, tg, blocked in PEOPLE
            ],
        )
        # Rows that reference people: SQLite rebuilds the table under them.
        await conn.execute(
            invites.insert(),
            [
                {
                    "id": 1,
                    "person_id": 1,
                    "token_hash": "1" * 64,
                    "created_at": T0,
                    "expires_at": T0 + timedelta(days=7),
                    "used_at": T0,
                },
                {
                    "id": 2,
                    "person_id": 3,
                    "token_hash": "3" * 64,
                    "created_at": T0,
                    "expires_at": T0 + timedelta(days=7),
                    "used_at": None,
                },
            ],
        )
        await conn.execute(conversations.insert(), [{**c, "updated_at": T0} for c in CONVERSATIONS])
        await conn.execute(outbox.insert(), _outbox_rows())
        if engine.dialect.name == "postgresql":
            # The rows above were given their ids; the sequences must not hand them out again.
            for table in ("people", "invites", "outbox_messages"):
                await conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )


async def _columns(engine: AsyncEngine, table: str) -> set[str]:
    async with engine.connect() as conn:
        found = await conn.run_sync(lambda c: inspect(c).get_columns(table))
    return {c["name"] for c in found}


async def _all(engine: AsyncEngine, statement: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(statement)).all())


def _outbox_as_before(rows: list[Any]) -> list[tuple[Any, ...]]:
    return [tuple(r[c] for c in OUTBOX_COLUMNS) for r in rows]  # the dicts seeded


async def _outbox_now(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    rows = await _all(engine, sa.select(outbox).order_by(outbox.c.id))
    return [tuple(r) for r in rows]


async def test_upgrade_moves_bindings_to_accounts_and_downgrade_brings_them_back(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url)
    await _seed_at_0005(engine)
    outbox_before = await _outbox_now(engine)
    assert outbox_before == _outbox_as_before(_outbox_rows())

    await migrate.upgrade(engine, AFTER)
    assert await migrate.current(engine) == AFTER

    assert not {"telegram_user_id", "blocked_bot_at"} & await _columns(engine, "people")
    bound = await _all(engine, sa.select(accounts).order_by(accounts.c.person_id))
    assert [tuple(r) for r in bound] == [
        (1, TELEGRAM, "7001", 7001, None, T0),
        (2, TELEGRAM, "7002", 7002, BLOCKED, T0),
        (4, TELEGRAM, "7000000004", 7_000_000_004, None, T0),
    ]
    assert await _outbox_now(engine) == outbox_before  # every row, every value
    channels = await _all(engine, sa.text("SELECT DISTINCT channel FROM outbox_messages"))
    assert channels == [(TELEGRAM,)]
    stored = await _all(
        engine, sa.select(conversations.c.key, conversations.c.state, conversations.c.data)
    )
    assert sorted(tuple(r) for r in stored) == sorted(
        (c["key"], c["state"], c["data"]) for c in CONVERSATIONS
    )
    assert len(await _all(engine, sa.select(invites.c.id))) == 2

    sessions = session_factory(engine)
    async with sessions() as session:
        wang = await identify(session, TELEGRAM, "7001")
        assert wang is not None and wang.name == "王芳" and not wang.blocked_on
        assert wang.accounts == {TELEGRAM: "7001"}
        li = await identify(session, TELEGRAM, "7002")
        assert li is not None and li.name == "李强" and li.blocked_bot(TELEGRAM)
        zhao = await identify(session, TELEGRAM, "7000000004")
        assert zhao is not None and zhao.name == "赵敏"
        assert await identify(session, TELEGRAM, "7003") is None
        # The waiting rows are the Telegram relay's to claim, and only its.
        now = T0 + timedelta(minutes=5)
        lease = timedelta(seconds=60)
        none = await outbox_leases.claim_due(
            session, now, limit=10, lease=lease, channel="dingtalk"
        )
        assert none == []
        claimed = await outbox_leases.claim_due(session, now, limit=10, lease=lease)
        assert sorted(c.id for c in claimed) == [1, 3, 5]
        await session.rollback()

    await migrate.downgrade(engine, BEFORE)
    assert await migrate.current(engine) == BEFORE
    restored = await _all(
        engine,
        sa.select(people.c.id, people.c.telegram_user_id, people.c.blocked_bot_at).order_by(
            people.c.id
        ),
    )
    assert [tuple(r) for r in restored] == [(i, tg, b) for i, _, tg, b in PEOPLE]
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    assert "channel_accounts" not in tables
    assert "channel" not in await _columns(engine, "outbox_messages")
    assert await _outbox_now(engine) == outbox_before
    await engine.dispose()


@pytest.mark.parametrize("what", ["account", "outbox row"])
async def test_downgrade_refuses_to_lose_another_channels_rows(
    empty_database_url: str, what: str
) -> None:
    engine = create_engine(empty_database_url)
    await _seed_at_0005(engine)
    await migrate.upgrade(engine, AFTER)
    async with engine.begin() as conn:
        if what == "account":
            await conn.execute(
                accounts.insert().values(
                    person_id=3,
                    channel="dingtalk",
                    external_id="manager4711",
                    chat_id=0,  # the column is still an integer at 0007
                    created_at=T0,
                )
            )
        else:  # without its channel it would read as a Telegram chat
            await conn.execute(
                sa.text("UPDATE outbox_messages SET channel = 'dingtalk' WHERE id = 5")
            )
    with pytest.raises(RuntimeError, match="other than Telegram"):
        await migrate.downgrade(engine, BEFORE)
    assert await migrate.current(engine) == AFTER  # nothing half done
    await engine.dispose()
