"""what SIGE accepted, counted: the declaration summary's SIGE side

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 19:10:00

``course_day.sent_present``/``sent_absent``: Presentes and Ausentes in the last send;
``synced_present``/``synced_absent``: in what SIGE accepted (copied at the final
report). They let the declaration summary count what SIGE will pay on even after the
Libro changed a synced day. Days synced before this revision are counted from their
current marks while those still hash to what SIGE accepted.
"""
import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_COLUMNS = ('sent_present', 'sent_absent', 'synced_present', 'synced_absent')


def upgrade() -> None:
    with op.batch_alter_table('course_day', schema=None) as batch_op:
        for name in _COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('course_day', schema=None) as batch_op:
        for name in reversed(_COLUMNS):
            batch_op.drop_column(name)
