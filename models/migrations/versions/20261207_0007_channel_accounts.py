"""channel accounts

A person's Telegram binding leaves the people table for channel_accounts, one row per
person and messenger, so that DingTalk accounts can sit beside it; outbox rows name the
channel whose relay sends them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 21:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


# Lightweight tables for the data copies: the migration must not depend on the models,
# which move on after it is written.
people = sa.table(
    "people",
    sa.column("id", sa.Integer()),
    sa.column("telegram_user_id", sa.BigInteger()),
    sa.column("blocked_bot_at", sa.DateTime(timezone=True)),
    sa.column("registered_at", sa.DateTime(timezone=True)),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
accounts = sa.table(
    "channel_accounts",
    sa.column("person_id", sa.Integer()),
    sa.column("channel", sa.String()),
    sa.column("external_id", sa.String()),
    sa.column("chat_id", sa.BigInteger()),
    sa.column("blocked_at", sa.DateTime(timezone=True)),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table(
        "channel_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_channel_accounts_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_accounts")),
        sa.UniqueConstraint(
            "channel", "external_id", name=op.f("uq_channel_accounts_channel")
        ),
        sa.UniqueConstraint("person_id", "channel", name=op.f("uq_channel_accounts_person_id")),
    )
    # Telegram's private chat with a user has the user's id, which is where the bot wrote
    # to them until now. The account is as old as the registration (the person row when
    # a binding predates registered_at).
    op.execute(
        accounts.insert().from_select(
            ["person_id", "channel", "external_id", "chat_id", "blocked_at", "created_at"],
            sa.select(
                people.c.id,
                sa.literal("telegram", sa.String()),
                sa.cast(people.c.telegram_user_id, sa.String(100)),
                people.c.telegram_user_id,
                people.c.blocked_bot_at,
                sa.func.coalesce(people.c.registered_at, people.c.created_at),
            ).where(people.c.telegram_user_id.is_not(None)),
        )
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_people_telegram_user_id"), type_="unique")
        batch_op.drop_column("blocked_bot_at")
        batch_op.drop_column("telegram_user_id")

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "channel", sa.String(length=20), nullable=False, server_default="telegram"
            )
        )


def downgrade() -> None:
    # Only Telegram fits the old schema: another channel's accounts have nowhere to go, and
    # its outbox rows would pass for Telegram chats. Refuse rather than lose or misroute them.
    bind = op.get_bind()
    others = bind.execute(
        sa.select(sa.func.count()).select_from(accounts).where(accounts.c.channel != "telegram")
    ).scalar_one()
    outbox = sa.table("outbox_messages", sa.column("channel", sa.String()))
    others += bind.execute(
        sa.select(sa.func.count()).select_from(outbox).where(outbox.c.channel != "telegram")
    ).scalar_one()
    if others:
        raise RuntimeError(
            f"{others} accounts or outbox rows on channels other than Telegram: the schema "
            "before 0006 cannot hold them"
        )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("channel")

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("telegram_user_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("blocked_bot_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(
            op.f("uq_people_telegram_user_id"), ["telegram_user_id"]
        )
    telegram = sa.and_(accounts.c.person_id == people.c.id, accounts.c.channel == "telegram")
    op.execute(
        people.update()
        .where(sa.exists().where(telegram))
        .values(
            telegram_user_id=sa.select(sa.cast(accounts.c.external_id, sa.BigInteger()))
            .where(telegram)
            .scalar_subquery(),
            blocked_bot_at=sa.select(accounts.c.blocked_at).where(telegram).scalar_subquery(),
        )
    )
    op.drop_table("channel_accounts")
