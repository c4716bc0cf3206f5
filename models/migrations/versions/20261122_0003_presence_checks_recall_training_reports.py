"""presence checks recall training reports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:40:25.474039
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('spot_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requested_by_person_id', sa.Integer(), nullable=False),
    sa.Column('query', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requested_by_person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('attendance_sheets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_by_person_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['confirmed_by_person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('township_id', 'year', 'month')
    )
    op.create_table('team_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('submitted_by_person_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['submitted_by_person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'period')
    )
    op.create_table('day_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('day_class', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('by_person_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadres.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('day_corrections', schema=None) as batch_op:
        batch_op.create_index('ix_day_corrections_cadre_day', ['cadre_id', 'day'], unique=False)

    op.create_table('location_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('distance_m', sa.Float(), nullable=True),
    sa.Column('inside', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadres.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('location_reports', schema=None) as batch_op:
        batch_op.create_index('ix_location_reports_cadre_time', ['cadre_id', 'at'], unique=False)

    op.create_table('recalls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('ground', sa.String(length=40), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('proposed_by_person_id', sa.Integer(), nullable=True),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_person_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadres.id'], ),
    sa.ForeignKeyConstraint(['decided_by_person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['proposed_by_person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('recalls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recalls_cadre_id'), ['cadre_id'], unique=False)

    op.create_table('sanctions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('cause', sa.String(length=60), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadres.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cadre_id', 'kind', 'cause')
    )
    with op.batch_alter_table('sanctions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sanctions_cadre_id'), ['cadre_id'], unique=False)

    op.create_table('trainings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('level', sa.String(length=40), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('recorded_by_person_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadres.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('trainings', schema=None) as batch_op:
        batch_op.create_index('ix_trainings_cadre_day', ['cadre_id', 'day'], unique=False)

    op.create_table('trips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('km', sa.Numeric(precision=8, scale=1), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadres.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('trips', schema=None) as batch_op:
        batch_op.create_index('ix_trips_cadre_day', ['cadre_id', 'day'], unique=False)

    op.create_table('spot_check_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('spot_check_id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('location_report_id', sa.Integer(), nullable=True),
    sa.Column('on_leave_id', sa.Integer(), nullable=True),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_person_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadres.id'], ),
    sa.ForeignKeyConstraint(['decided_by_person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['location_report_id'], ['location_reports.id'], ),
    sa.ForeignKeyConstraint(['on_leave_id'], ['leave_requests.id'], ),
    sa.ForeignKeyConstraint(['spot_check_id'], ['spot_checks.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('spot_check_id', 'cadre_id')
    )
    with op.batch_alter_table('spot_check_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spot_check_targets_cadre_id'), ['cadre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_spot_check_targets_spot_check_id'), ['spot_check_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('spot_check_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spot_check_targets_spot_check_id'))
        batch_op.drop_index(batch_op.f('ix_spot_check_targets_cadre_id'))

    op.drop_table('spot_check_targets')
    with op.batch_alter_table('trips', schema=None) as batch_op:
        batch_op.drop_index('ix_trips_cadre_day')

    op.drop_table('trips')
    with op.batch_alter_table('trainings', schema=None) as batch_op:
        batch_op.drop_index('ix_trainings_cadre_day')

    op.drop_table('trainings')
    with op.batch_alter_table('sanctions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sanctions_cadre_id'))

    op.drop_table('sanctions')
    with op.batch_alter_table('recalls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recalls_cadre_id'))

    op.drop_table('recalls')
    with op.batch_alter_table('location_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_location_reports_cadre_time')

    op.drop_table('location_reports')
    with op.batch_alter_table('day_corrections', schema=None) as batch_op:
        batch_op.drop_index('ix_day_corrections_cadre_day')

    op.drop_table('day_corrections')
    op.drop_table('team_reports')
    op.drop_table('attendance_sheets')
    op.drop_table('spot_checks')
