"""marks without per-row key checks; enrolments and students without redundant ones

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 16:00:00

PostgreSQL's own bulk insert of a sostenedor's month (1,320,000 marks) took
10.4-12.6 s, two thirds of it the two key checks left on the largest table
(course and student): 3.4 s without them. Marks are written only by the Libro
import, with ids it has just read or written in the same transaction, and courses
and students are never deleted. The unique key now leads with (course, day), the
course-day every reader asks for, so it also serves a school's marks by date
range (through the school's courses) and the (rbd, day) index goes: one index
fewer to keep on every insert (2.9 s instead of 3.4 s).

Enrolments lose the same two checks marks lost in 0002 (rbd: the course ties the
row to its school; the batch: bookkeeping) and, with students, an index that a
unique key already leads with (enrolment.course_id, student.rbd): 0.2-0.3 s of a
sostenedor's 25 nóminas on PostgreSQL. Their course and student keys stay.
"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attendance_mark', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attendance_mark_course_id_course'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_attendance_mark_student_id_student'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_attendance_mark_course_id_student_id_day_hour'),
                                 type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_attendance_mark_course_id_day_student_id_hour'),
            ['course_id', 'day', 'student_id', 'hour'])
        batch_op.drop_index('ix_attendance_mark_rbd_day')
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_enrolment_rbd_establishment'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_enrolment_import_batch_id_import_batch'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_enrolment_course_id'))
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_student_rbd'))


def downgrade() -> None:
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_student_rbd'), ['rbd'], unique=False)
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolment_course_id'), ['course_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_enrolment_import_batch_id_import_batch'),
                                    'import_batch', ['import_batch_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_enrolment_rbd_establishment'),
                                    'establishment', ['rbd'], ['rbd'])
    with op.batch_alter_table('attendance_mark', schema=None) as batch_op:
        batch_op.create_index('ix_attendance_mark_rbd_day', ['rbd', 'day'], unique=False)
        batch_op.drop_constraint(batch_op.f('uq_attendance_mark_course_id_day_student_id_hour'),
                                 type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_attendance_mark_course_id_student_id_day_hour'),
            ['course_id', 'student_id', 'day', 'hour'])
        batch_op.create_foreign_key(batch_op.f('fk_attendance_mark_student_id_student'),
                                    'student', ['student_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_attendance_mark_course_id_course'),
                                    'course', ['course_id'], ['id'])
