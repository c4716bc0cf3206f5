"""a risk flag records the township's acknowledgement

Until a township party committee member presses 已知悉 on a risk notice, a sweep sends the
notice again; the acknowledgement is who pressed it and when.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("risk_acked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("risk_acked_by_person_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_visits_risk_acked_by_person_id_people"),
            "people",
            ["risk_acked_by_person_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("fk_visits_risk_acked_by_person_id_people"), type_="foreignkey"
        )
        batch_op.drop_column("risk_acked_by_person_id")
        batch_op.drop_column("risk_acked_at")
