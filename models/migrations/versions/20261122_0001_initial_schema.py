"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 02:11:59.956986
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_overrides",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("note", sa.String(length=100), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_overrides")),
    )
    op.create_table(
        "counties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counties")),
        sa.UniqueConstraint("name", name=op.f("uq_counties_name")),
    )
    op.create_table(
        "dispatching_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatching_units")),
        sa.UniqueConstraint("name", name=op.f("uq_dispatching_units_name")),
    )
    op.create_table(
        "inbox_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_inbox_updates")),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("menu_hash", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("phone", name=op.f("uq_people_phone")),
        sa.UniqueConstraint("telegram_user_id", name=op.f("uq_people_telegram_user_id")),
    )
    op.create_table(
        "invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_invites_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invites_token_hash")),
    )
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invites_person_id"), ["person_id"], unique=False)

    op.create_table(
        "townships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_id"], ["counties.id"], name=op.f("fk_townships_county_id_counties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_townships")),
        sa.UniqueConstraint("county_id", "name", name=op.f("uq_townships_county_id")),
    )
    with op.batch_alter_table("townships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_townships_county_id"), ["county_id"], unique=False)

    op.create_table(
        "villages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("needs", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["township_id"], ["townships.id"], name=op.f("fk_villages_township_id_townships")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_villages")),
        sa.UniqueConstraint("township_id", "name", name=op.f("uq_villages_township_id")),
    )
    with op.batch_alter_table("villages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_villages_township_id"), ["township_id"], unique=False)

    op.create_table(
        "approver_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction", sa.String(length=40), nullable=False),
        sa.Column("jurisdiction_key", sa.String(length=40), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=True),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["county_id"], ["counties.id"], name=op.f("fk_approver_posts_county_id_counties")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_approver_posts_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["townships.id"], name=op.f("fk_approver_posts_township_id_townships")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["dispatching_units.id"],
            name=op.f("fk_approver_posts_unit_id_dispatching_units"),
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["villages.id"], name=op.f("fk_approver_posts_village_id_villages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approver_posts")),
        sa.UniqueConstraint(
            "kind", "jurisdiction_key", "person_id", name=op.f("uq_approver_posts_kind")
        ),
    )
    with op.batch_alter_table("approver_posts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_approver_posts_jurisdiction_key"), ["jurisdiction_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_approver_posts_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "group_chats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("county_id", sa.Integer(), nullable=True),
        sa.Column("bound_by_person_id", sa.Integer(), nullable=True),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bound_by_person_id"],
            ["people.id"],
            name=op.f("fk_group_chats_bound_by_person_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["county_id"], ["counties.id"], name=op.f("fk_group_chats_county_id_counties")
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["townships.id"], name=op.f("fk_group_chats_township_id_townships")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["villages.id"], name=op.f("fk_group_chats_village_id_villages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_chats")),
        sa.UniqueConstraint("chat_id", name=op.f("uq_group_chats_chat_id")),
    )
    op.create_table(
        "households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("head_name", sa.String(length=40), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["village_id"], ["villages.id"], name=op.f("fk_households_village_id_villages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
        sa.UniqueConstraint("code", name=op.f("uq_households_code")),
    )
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_households_village_id"), ["village_id"], unique=False)

    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["village_id"], ["villages.id"], name=op.f("fk_teams_village_id_villages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("village_id", name=op.f("uq_teams_village_id")),
    )
    op.create_table(
        "cadres",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("team_role", sa.String(length=40), nullable=False),
        sa.Column("is_leader", sa.Boolean(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("dispatch_level", sa.String(length=40), nullable=False),
        sa.Column("term_start", sa.Date(), nullable=False),
        sa.Column("term_end", sa.Date(), nullable=False),
        sa.Column("party_member_since", sa.Date(), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_cadres_person_id_people")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_cadres_team_id_teams")),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["dispatching_units.id"], name=op.f("fk_cadres_unit_id_dispatching_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cadres")),
        sa.UniqueConstraint("person_id", name=op.f("uq_cadres_person_id")),
    )
    with op.batch_alter_table("cadres", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cadres_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cadres_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "pairings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cadre_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cadre_id"], ["cadres.id"], name=op.f("fk_pairings_cadre_id_cadres")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_pairings_household_id_households")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairings")),
    )
    with op.batch_alter_table("pairings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pairings_cadre_id"), ["cadre_id"], unique=False)
        batch_op.create_index(
            "ix_pairings_household_active", ["household_id", "ended_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pairings", schema=None) as batch_op:
        batch_op.drop_index("ix_pairings_household_active")
        batch_op.drop_index(batch_op.f("ix_pairings_cadre_id"))

    op.drop_table("pairings")
    with op.batch_alter_table("cadres", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cadres_unit_id"))
        batch_op.drop_index(batch_op.f("ix_cadres_team_id"))

    op.drop_table("cadres")
    op.drop_table("teams")
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_households_village_id"))

    op.drop_table("households")
    op.drop_table("group_chats")
    with op.batch_alter_table("approver_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approver_posts_person_id"))
        batch_op.drop_index(batch_op.f("ix_approver_posts_jurisdiction_key"))

    op.drop_table("approver_posts")
    with op.batch_alter_table("villages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_villages_township_id"))

    op.drop_table("villages")
    with op.batch_alter_table("townships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_townships_county_id"))

    op.drop_table("townships")
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invites_person_id"))

    op.drop_table("invites")
    op.drop_table("people")
    op.drop_table("inbox_updates")
    op.drop_table("dispatching_units")
    op.drop_table("counties")
    op.drop_table("calendar_overrides")
