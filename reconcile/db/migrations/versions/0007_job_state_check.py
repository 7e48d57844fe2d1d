"""a job's state is one of the queue's three: the database refuses any other

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 07:30:00

``sync_job.state`` gets a CHECK constraint listing ``reconcile.sync.jobs``' states
(``en_cola``, ``esperando_reporte``, ``terminado``), as procrastinate's enum does: a
mistyped state fails at the write instead of leaving a job no worker ever claims.
The code checks each move's starting state (``jobs.sent``, ``jobs.finish``...); the
database keeps the set.

SQLite adds a CHECK only by copying the table (batch mode), and with its foreign keys
on it refuses to drop a table that rows point at: the jobs' course rows step aside
(kept in a temporary table) while ``sync_job`` is copied, and come back unchanged.
"""
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

STATES = "state IN ('en_cola', 'esperando_reporte', 'terminado')"
_COURSE_COLUMNS = 'id, job_id, course_id, day, active'


@contextmanager
def _job_courses_aside() -> Iterator[None]:
    if op.get_bind().dialect.name != 'sqlite':
        yield
        return
    op.execute(f'CREATE TEMPORARY TABLE sync_job_course_kept AS '
               f'SELECT {_COURSE_COLUMNS} FROM sync_job_course')
    op.execute('DELETE FROM sync_job_course')
    yield
    op.execute(f'INSERT INTO sync_job_course ({_COURSE_COLUMNS}) '
               f'SELECT {_COURSE_COLUMNS} FROM sync_job_course_kept')
    op.execute('DROP TABLE sync_job_course_kept')


def upgrade() -> None:
    with _job_courses_aside(), op.batch_alter_table('sync_job', schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f('ck_sync_job_state'), STATES)


def downgrade() -> None:
    with _job_courses_aside(), op.batch_alter_table('sync_job', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_sync_job_state'), type_='check')
