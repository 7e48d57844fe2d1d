"""attendance marks without per-row key checks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 04:53:02.946682
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attendance_mark', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_mark_rbd'))
        batch_op.create_index('ix_attendance_mark_rbd_day', ['rbd', 'day'], unique=False)
        batch_op.drop_constraint(batch_op.f('fk_attendance_mark_import_batch_id_import_batch'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_attendance_mark_rbd_establishment'), type_='foreignkey')



def downgrade() -> None:
    with op.batch_alter_table('attendance_mark', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_attendance_mark_rbd_establishment'), 'establishment', ['rbd'], ['rbd'])
        batch_op.create_foreign_key(batch_op.f('fk_attendance_mark_import_batch_id_import_batch'), 'import_batch', ['import_batch_id'], ['id'])
        batch_op.drop_index('ix_attendance_mark_rbd_day')
        batch_op.create_index(batch_op.f('ix_attendance_mark_rbd'), ['rbd'], unique=False)

