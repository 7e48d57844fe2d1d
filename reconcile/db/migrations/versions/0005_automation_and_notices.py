"""envío automático, close risk, the mail outbox, user e-mail, self-closing corrections

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 16:00:00

- ``autopilot_run``: one row per school, run date and kind, claimed in the same
  transaction that queues the run's jobs, so two workers, a restart or a crash
  between the two never make two runs or half a run (unique key).
- ``school_risk``: the last close-risk level seen per school, so an alert goes out
  when it *turns* riesgo/vencido, not on every check.
- ``outbox_message``: mail to deliver; marked sent only after the server accepted
  it; ``dedupe_key`` unique so a coalesced alert is written once.
- ``app_user.email``: where a person's digest and alerts go.
- ``rut_correction.resolved_at``/``resolved_reason``: a correction that a later
  nómina or Libro made unnecessary closes itself and says why.
"""
import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
    with op.batch_alter_table('rut_correction', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolved_reason', sa.String(length=40), nullable=True))
    op.create_table(
        'autopilot_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rbd', sa.Integer(), nullable=False),
        sa.Column('run_date', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('requested_by', sa.String(length=100), nullable=True),
        sa.Column('queued', sa.Integer(), nullable=False),
        sa.Column('held', sa.Integer(), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['rbd'], ['establishment.rbd'],
                                name=op.f('fk_autopilot_run_rbd_establishment')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_autopilot_run')),
        sa.UniqueConstraint('rbd', 'run_date', 'kind',
                            name=op.f('uq_autopilot_run_rbd_run_date_kind')),
    )
    op.create_table(
        'school_risk',
        sa.Column('rbd', sa.Integer(), nullable=False),
        sa.Column('level', sa.String(length=10), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['rbd'], ['establishment.rbd'],
                                name=op.f('fk_school_risk_rbd_establishment')),
        sa.PrimaryKeyConstraint('rbd', name=op.f('pk_school_risk')),
    )
    op.create_table(
        'outbox_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rbd', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('dedupe_key', sa.String(length=200), nullable=True),
        sa.Column('recipients', sa.JSON(), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body_text', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('claimed_by', sa.String(length=100), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('delivered_to', sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_message_dedupe_key')),
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_due', ['sent_at', 'next_attempt_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_rbd'), ['rbd'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_rbd'))
        batch_op.drop_index('ix_outbox_message_due')
    op.drop_table('outbox_message')
    op.drop_table('school_risk')
    op.drop_table('autopilot_run')
    with op.batch_alter_table('rut_correction', schema=None) as batch_op:
        batch_op.drop_column('resolved_reason')
        batch_op.drop_column('resolved_at')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('email')
