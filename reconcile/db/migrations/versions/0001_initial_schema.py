"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 04:06:42.536774
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('rbd', sa.Integer(), nullable=True),
    sa.Column('course', sa.String(length=30), nullable=True),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_rbd'), ['rbd'], unique=False)

    op.create_table('establishment',
    sa.Column('rbd', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('dgv_rbd', sa.String(length=1), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('comuna', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('rbd', name=op.f('pk_establishment'))
    )
    op.create_table('setting',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('rbd', sa.Integer(), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', 'rbd', name=op.f('pk_setting'))
    )
    op.create_table('course',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rbd', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('cod_ense', sa.Integer(), nullable=False),
    sa.Column('cod_grado', sa.Integer(), nullable=False),
    sa.Column('letra', sa.String(length=5), nullable=False),
    sa.Column('desc_grado', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['rbd'], ['establishment.rbd'], name=op.f('fk_course_rbd_establishment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course')),
    sa.UniqueConstraint('rbd', 'year', 'cod_ense', 'cod_grado', 'letra', name=op.f('uq_course_rbd_year_cod_ense_cod_grado_letra'))
    )
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_rbd'), ['rbd'], unique=False)

    op.create_table('import_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rbd', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('rows_added', sa.Integer(), nullable=False),
    sa.Column('rows_changed', sa.Integer(), nullable=False),
    sa.Column('rows_removed', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['rbd'], ['establishment.rbd'], name=op.f('fk_import_batch_rbd_establishment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch'))
    )
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_batch_rbd'), ['rbd'], unique=False)

    op.create_table('rut_correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rbd', sa.Integer(), nullable=False),
    sa.Column('from_rut', sa.String(length=40), nullable=False),
    sa.Column('to_rut', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('confidence', sa.Double(), nullable=True),
    sa.Column('approved_by', sa.String(length=100), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_by', sa.String(length=100), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['rbd'], ['establishment.rbd'], name=op.f('fk_rut_correction_rbd_establishment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rut_correction'))
    )
    with op.batch_alter_table('rut_correction', schema=None) as batch_op:
        batch_op.create_index('ix_rut_correction_rbd_from', ['rbd', 'from_rut'], unique=False)

    op.create_table('student',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rbd', sa.Integer(), nullable=False),
    sa.Column('rut', sa.String(length=40), nullable=False),
    sa.Column('run', sa.BigInteger(), nullable=True),
    sa.Column('dv', sa.String(length=1), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('nombres', sa.String(length=200), nullable=True),
    sa.Column('ape_paterno', sa.String(length=100), nullable=True),
    sa.Column('ape_materno', sa.String(length=100), nullable=True),
    sa.Column('full_name', sa.String(length=300), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('gender', sa.String(length=1), nullable=True),
    sa.ForeignKeyConstraint(['rbd'], ['establishment.rbd'], name=op.f('fk_student_rbd_establishment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_student')),
    sa.UniqueConstraint('rbd', 'rut', name=op.f('uq_student_rbd_rut'))
    )
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_student_rbd'), ['rbd'], unique=False)

    op.create_table('user_school',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rbd', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['rbd'], ['establishment.rbd'], name=op.f('fk_user_school_rbd_establishment')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_user_school_user_id_app_user')),
    sa.PrimaryKeyConstraint('user_id', 'rbd', name=op.f('pk_user_school'))
    )
    op.create_table('attendance_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rbd', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_attendance_mark_course_id_course')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_attendance_mark_import_batch_id_import_batch')),
    sa.ForeignKeyConstraint(['rbd'], ['establishment.rbd'], name=op.f('fk_attendance_mark_rbd_establishment')),
    sa.ForeignKeyConstraint(['student_id'], ['student.id'], name=op.f('fk_attendance_mark_student_id_student')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_mark')),
    sa.UniqueConstraint('course_id', 'student_id', 'day', 'hour', name=op.f('uq_attendance_mark_course_id_student_id_day_hour'))
    )
    with op.batch_alter_table('attendance_mark', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_mark_rbd'), ['rbd'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_mark_student_id'), ['student_id'], unique=False)

    op.create_table('course_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rbd', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('marks_hash', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('cause', sa.String(length=40), nullable=True),
    sa.Column('sent_hash', sa.String(length=64), nullable=True),
    sa.Column('synced_hash', sa.String(length=64), nullable=True),
    sa.Column('ticket', sa.String(length=100), nullable=True),
    sa.Column('sige_messages', sa.JSON(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_course_day_course_id_course')),
    sa.ForeignKeyConstraint(['rbd'], ['establishment.rbd'], name=op.f('fk_course_day_rbd_establishment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_day')),
    sa.UniqueConstraint('course_id', 'day', name=op.f('uq_course_day_course_id_day'))
    )
    with op.batch_alter_table('course_day', schema=None) as batch_op:
        batch_op.create_index('ix_course_day_rbd_day', ['rbd', 'day'], unique=False)

    op.create_table('enrolment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rbd', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('incorporated_on', sa.Date(), nullable=True),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_enrolment_course_id_course')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_enrolment_import_batch_id_import_batch')),
    sa.ForeignKeyConstraint(['rbd'], ['establishment.rbd'], name=op.f('fk_enrolment_rbd_establishment')),
    sa.ForeignKeyConstraint(['student_id'], ['student.id'], name=op.f('fk_enrolment_student_id_student')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolment')),
    sa.UniqueConstraint('course_id', 'student_id', name=op.f('uq_enrolment_course_id_student_id'))
    )
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolment_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolment_rbd'), ['rbd'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolment_student_id'), ['student_id'], unique=False)

    op.create_table('sync_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rbd', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('payload_hash', sa.String(length=64), nullable=True),
    sa.Column('ticket', sa.String(length=100), nullable=True),
    sa.Column('requested_by', sa.String(length=100), nullable=True),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_sync_job_course_id_course')),
    sa.ForeignKeyConstraint(['rbd'], ['establishment.rbd'], name=op.f('fk_sync_job_rbd_establishment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_job'))
    )
    with op.batch_alter_table('sync_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_job_rbd'), ['rbd'], unique=False)
        batch_op.create_index('ix_sync_job_state_next', ['state', 'next_attempt_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sync_job', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_job_state_next')
        batch_op.drop_index(batch_op.f('ix_sync_job_rbd'))

    op.drop_table('sync_job')
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolment_student_id'))
        batch_op.drop_index(batch_op.f('ix_enrolment_rbd'))
        batch_op.drop_index(batch_op.f('ix_enrolment_course_id'))

    op.drop_table('enrolment')
    with op.batch_alter_table('course_day', schema=None) as batch_op:
        batch_op.drop_index('ix_course_day_rbd_day')

    op.drop_table('course_day')
    with op.batch_alter_table('attendance_mark', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_mark_student_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_mark_rbd'))

    op.drop_table('attendance_mark')
    op.drop_table('user_school')
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_student_rbd'))

    op.drop_table('student')
    with op.batch_alter_table('rut_correction', schema=None) as batch_op:
        batch_op.drop_index('ix_rut_correction_rbd_from')

    op.drop_table('rut_correction')
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_batch_rbd'))

    op.drop_table('import_batch')
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_rbd'))

    op.drop_table('course')
    op.drop_table('setting')
    op.drop_table('establishment')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_rbd'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    op.drop_table('app_user')
