"""leave visits outbox audit

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:27:13.160573
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_state", sa.String(length=30), nullable=True),
        sa.Column("to_state", sa.String(length=30), nullable=True),
        sa.Column("actor_person_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_person_id"], ["people.id"], name=op.f("fk_audit_events_actor_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_entity", ["entity", "entity_id"], unique=False)

    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("is_group", sa.Boolean(), nullable=False),
        sa.Column("template", sa.String(length=60), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("ref", sa.String(length=60), nullable=True),
        sa.Column("document_name", sa.String(length=120), nullable=True),
        sa.Column("document", sa.LargeBinary(), nullable=True),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_message_id", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_outbox_messages_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_outbox_messages_dedup_key")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_messages_due", ["state", "not_before"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_messages_ref"), ["ref"], unique=False)
        batch_op.create_index(
            "ix_outbox_messages_sent", ["chat_id", "sent_message_id"], unique=False
        )

    op.create_table(
        "leave_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cadre_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("routed_to", sa.String(length=40), nullable=False),
        sa.Column("waiting_on", sa.String(length=40), nullable=False),
        sa.Column("route_key", sa.String(length=40), nullable=False),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replacement_required", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_person_id", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cadre_id"], ["cadres.id"], name=op.f("fk_leave_requests_cadre_id_cadres")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_person_id"],
            ["people.id"],
            name=op.f("fk_leave_requests_decided_by_person_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leave_requests")),
    )
    with op.batch_alter_table("leave_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_leave_requests_cadre_dates", ["cadre_id", "start_date", "end_date"], unique=False
        )
        batch_op.create_index("ix_leave_requests_state_route", ["state", "route_key"], unique=False)

    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("cadre_id", sa.Integer(), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mode", sa.String(length=40), nullable=False),
        sa.Column("checks", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("risk", sa.Boolean(), nullable=False),
        sa.Column("risk_note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cadre_id"], ["cadres.id"], name=op.f("fk_visits_cadre_id_cadres")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_visits_household_id_households")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index("ix_visits_cadre_time", ["cadre_id", "visited_at"], unique=False)
        batch_op.create_index(
            "ix_visits_household_time", ["household_id", "visited_at"], unique=False
        )

    op.create_table(
        "visit_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.String(length=200), nullable=False),
        sa.Column("file_unique_id", sa.String(length=100), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_visit_photos_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_photos")),
    )
    with op.batch_alter_table("visit_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_photos_visit_id"), ["visit_id"], unique=False)

    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_pinyin", sa.String(length=255), nullable=False, server_default="")
        )

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("blocked_bot_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("blocked_bot_at")

    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_column("name_pinyin")

    with op.batch_alter_table("visit_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_photos_visit_id"))

    op.drop_table("visit_photos")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_household_time")
        batch_op.drop_index("ix_visits_cadre_time")

    op.drop_table("visits")
    with op.batch_alter_table("leave_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_leave_requests_state_route")
        batch_op.drop_index("ix_leave_requests_cadre_dates")

    op.drop_table("leave_requests")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_sent")
        batch_op.drop_index(batch_op.f("ix_outbox_messages_ref"))
        batch_op.drop_index("ix_outbox_messages_due")

    op.drop_table("outbox_messages")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_entity")

    op.drop_table("audit_events")
