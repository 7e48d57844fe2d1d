"""Reconciliation of SIGE's enrolment with the Libro Digital (issue 4).

- ``rosters``: the set-based comparison per course and worked day (who is
  missing, who SIGE does not know), never a loop over students;
- ``suggest``: on the few left unmatched, which SIGE student a Libro identifier
  probably is (``provisional``, ``check_digit``, ``name``), with confidence and
  evidence;
- ``engine``: both together, plus invalid RUTs, children written twice in one
  course and students SIGE has in another course; the ``check --json`` entries;
- ``store``: one school's frames from the database, with corrections and settings.

>>> import pandas as pd
>>> enrolment = pd.DataFrame({'course': ['110-1-A'] * 2, 'rut': ['12531909-2', '23456789-6'],
...                           'incorporated_on': [None, None], 'withdrawn_on': [None, None]})
>>> marks = pd.DataFrame({'course': ['110-1-A'], 'rut': ['12531909-2'], 'day': ['2026-11-02']})
>>> entry = reconcile(enrolment, marks).entries()[0]
>>> entry['missing_in_libro'], entry['ready'], entry['reasons']
(['23456789-6'], False, ['caso_1'])
"""
from reconcile.matching.engine import (
    CASO_1,
    CASO_2,
    DEFAULT_THRESHOLD,
    Reconciliation,
    course_sort_key,
    reconcile,
)
from reconcile.matching.rosters import Rosters, compare_rosters
from reconcile.matching.store import (
    Frames,
    check_course,
    check_range,
    check_report,
    load_frames,
    resolve_rbd,
    run_check,
)
from reconcile.matching.suggest import CHECK_DIGIT, NAME, PROVISIONAL, Suggestions, suggest_pairs

__all__ = [
    "CASO_1", "CASO_2", "CHECK_DIGIT", "DEFAULT_THRESHOLD", "NAME", "PROVISIONAL", "Frames",
    "Reconciliation", "Rosters", "Suggestions", "check_course", "check_range", "check_report",
    "compare_rosters", "course_sort_key", "load_frames", "reconcile",
    "resolve_rbd", "run_check", "suggest_pairs",
]
