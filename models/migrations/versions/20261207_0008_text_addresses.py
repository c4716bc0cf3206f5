"""chat addresses are text, and groups and the inbox name their channel

Telegram's chats and messages have integer ids; DingTalk's conversations
(``cid...==``), staff ids and message ids are strings. Every column that holds a chat,
a sent message or a delivered update becomes text, so one outbox, one group table and
one inbox serve both. Telegram's ids are kept as their decimal text.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TEXT = sa.String(length=100)
# (table, column, nullable)
_ADDRESSES = [
    ("channel_accounts", "chat_id", False),
    ("group_chats", "chat_id", False),
    ("outbox_messages", "chat_id", False),
    ("outbox_messages", "sent_message_id", True),
]


def _retype(table: str, column: str, nullable: bool, old: sa.types.TypeEngine, new: sa.types.TypeEngine) -> None:
    cast = "text" if isinstance(new, sa.String) else "bigint"
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column(
            column,
            existing_type=old,
            type_=new,
            existing_nullable=nullable,
            postgresql_using=f"{column}::{cast}",
        )


def upgrade() -> None:
    for table, column, nullable in _ADDRESSES:
        _retype(table, column, nullable, sa.BigInteger(), _TEXT)

    # A group is a chat on one channel: two channels may use the same id for different chats.
    with op.batch_alter_table("group_chats", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=20), nullable=False, server_default="telegram")
        )
        batch_op.drop_constraint(op.f("uq_group_chats_chat_id"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_group_chats_channel"), ["channel", "chat_id"]
        )

    # The inbox keys each delivery by its channel and the channel's own id for it
    # (Telegram's update_id, DingTalk's message id). Rebuilt rather than altered: the
    # primary key changes.
    op.create_table(
        "inbox_entries",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("delivery_id", _TEXT, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "delivery_id", name=op.f("pk_inbox_entries")),
    )
    old = sa.table(
        "inbox_updates",
        sa.column("update_id", sa.BigInteger()),
        sa.column("received_at", sa.DateTime(timezone=True)),
    )
    new = sa.table(
        "inbox_entries",
        sa.column("channel", sa.String()),
        sa.column("delivery_id", sa.String()),
        sa.column("received_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        new.insert().from_select(
            ["channel", "delivery_id", "received_at"],
            sa.select(
                sa.literal("telegram", sa.String()),
                sa.cast(old.c.update_id, _TEXT),
                old.c.received_at,
            ),
        )
    )
    op.drop_table("inbox_updates")


def downgrade() -> None:
    # Only Telegram's numeric ids fit the old integer columns; refuse rather than lose or
    # misroute another channel's rows.
    bind = op.get_bind()
    others = 0
    for table in ("group_chats", "outbox_messages", "channel_accounts", "inbox_entries"):
        t = sa.table(table, sa.column("channel", sa.String()))
        others += bind.execute(
            sa.select(sa.func.count()).select_from(t).where(t.c.channel != "telegram")
        ).scalar_one()
    if others:
        raise RuntimeError(
            f"{others} rows on channels other than Telegram: the schema before 0008 "
            "cannot hold them"
        )
    op.create_table(
        "inbox_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_inbox_updates")),
    )
    entries = sa.table(
        "inbox_entries",
        sa.column("delivery_id", sa.String()),
        sa.column("received_at", sa.DateTime(timezone=True)),
    )
    updates = sa.table(
        "inbox_updates",
        sa.column("update_id", sa.BigInteger()),
        sa.column("received_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        updates.insert().from_select(
            ["update_id", "received_at"],
            sa.select(sa.cast(entries.c.delivery_id, sa.BigInteger()), entries.c.received_at),
        )
    )
    op.drop_table("inbox_entries")

    with op.batch_alter_table("group_chats", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_group_chats_channel"), type_="unique")
        batch_op.create_unique_constraint(op.f("uq_group_chats_chat_id"), ["chat_id"])
        batch_op.drop_column("channel")
    for table, column, nullable in _ADDRESSES:
        _retype(table, column, nullable, _TEXT, sa.BigInteger())
