"""conversation keys name their channel

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 21:20:00

Guided flows were kept under aiogram's FSM keys (``fsm:<chat>:<user>:default``); the
conversation core keys them by channel, chat and user (``telegram:<chat>:<user>``). A
half-finished /leave survives the upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


# The keys hold colons, which a textual statement would read as bind parameters: every
# literal goes in as one.
def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE conversation_states SET key = :channel || substr(key, 5, length(key) - 12) "
            "WHERE key LIKE :old"
        ).bindparams(channel="telegram:", old="fsm:%:default")
    )


def downgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE conversation_states SET key = :fsm || substr(key, 10) || :destiny "
            "WHERE key LIKE :new"
        ).bindparams(fsm="fsm:", destiny=":default", new="telegram:%")
    )
