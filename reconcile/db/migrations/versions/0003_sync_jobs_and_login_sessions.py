"""sync jobs per SIGE unit, payload hash, login sessions and throttle

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 10:00:00

``sync_job`` was never written by any release (nothing sent to SIGE before this
revision), so it is recreated in its new shape instead of altered.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('course_day', schema=None) as batch_op:
        batch_op.alter_column('marks_hash', new_column_name='payload_hash',
                              existing_type=sa.String(length=64), existing_nullable=True)

    op.drop_table('sync_job')
    op.create_table(
        'sync_job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rbd', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('cod_ense', sa.Integer(), nullable=False),
        sa.Column('cod_grado', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('polls', sa.Integer(), nullable=False),
        sa.Column('record_hash', sa.String(length=64), nullable=True),
        sa.Column('ticket', sa.String(length=100), nullable=True),
        sa.Column('requested_by', sa.String(length=100), nullable=True),
        sa.Column('override_reason', sa.Text(), nullable=True),
        sa.Column('claimed_by', sa.String(length=100), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('outcome', sa.String(length=20), nullable=True),
        sa.Column('cause', sa.String(length=40), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['rbd'], ['establishment.rbd'],
                                name=op.f('fk_sync_job_rbd_establishment')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_job')),
    )
    with op.batch_alter_table('sync_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_job_rbd'), ['rbd'], unique=False)
        batch_op.create_index('ix_sync_job_state_next', ['state', 'next_attempt_at'],
                              unique=False)

    op.create_table(
        'sync_job_course',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['course.id'],
                                name=op.f('fk_sync_job_course_course_id_course')),
        sa.ForeignKeyConstraint(['job_id'], ['sync_job.id'],
                                name=op.f('fk_sync_job_course_job_id_sync_job')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_job_course')),
    )
    with op.batch_alter_table('sync_job_course', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_job_course_job_id'), ['job_id'], unique=False)
        batch_op.create_index('uq_sync_job_course_active', ['course_id', 'day'], unique=True,
                              sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    op.create_table(
        'convenio_rejection',
        sa.Column('rbd', sa.Integer(), nullable=False),
        sa.Column('credentials_hash', sa.String(length=64), nullable=False),
        sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['rbd'], ['establishment.rbd'],
                                name=op.f('fk_convenio_rejection_rbd_establishment')),
        sa.PrimaryKeyConstraint('rbd', name=op.f('pk_convenio_rejection')),
    )
    op.create_table(
        'login_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_session')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_login_session_token_hash')),
    )
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_session_username'), ['username'],
                              unique=False)
    op.create_table(
        'login_throttle',
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('failed_attempts', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('username', name=op.f('pk_login_throttle')),
    )


def downgrade() -> None:
    op.drop_table('login_throttle')
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_session_username'))
    op.drop_table('login_session')
    op.drop_table('convenio_rejection')
    with op.batch_alter_table('sync_job_course', schema=None) as batch_op:
        batch_op.drop_index('uq_sync_job_course_active')
        batch_op.drop_index(batch_op.f('ix_sync_job_course_job_id'))
    op.drop_table('sync_job_course')
    with op.batch_alter_table('course_day', schema=None) as batch_op:
        batch_op.alter_column('payload_hash', new_column_name='marks_hash',
                              existing_type=sa.String(length=64), existing_nullable=True)
    # the old sync_job shape is not restored: it never held rows
