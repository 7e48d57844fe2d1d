"""Two schools and their people, with audit entries recorded the way the product
records them (``reconcile.audit.record``, ``reconcile.auth.login``) on several days."""
from __future__ import annotations

from datetime import datetime

from reconcile import audit, auth
from reconcile.clock import FixedClock
from reconcile.db import transaction
from tests.app_helpers import PASSWORD, make_school

HOME, OTHER = 24875, 40002
HOME_NAME, OTHER_NAME = "Escuela Los Aromos", "Colegio Ajeno Zeta"
FORMULA_NAME = '=HYPERLINK("http://malo.example")'  # a display name a spreadsheet would run
PEOPLE = {  # user name -> (role, school, display name)
    "directora": ("director", HOME, "Directora María Soto"),
    "asistencia": ("asistencia", HOME, FORMULA_NAME),
    "profesor": ("profesor", HOME, "Profesora Carmen Vidal"),
    "ajeno": ("director", OTHER, "Director Zeta Ajeno"),
}


def at(day: int, hour: int = 10, minute: int = 0) -> FixedClock:
    return FixedClock(datetime(2026, 11, day, hour, minute))


def audited_schools(url: str, clock: FixedClock) -> None:
    make_school(url, clock, HOME, HOME_NAME)
    make_school(url, clock, OTHER, OTHER_NAME)
    with transaction(url) as session:
        for username, (role, rbd, name) in PEOPLE.items():
            auth.add_user(session, username, role, [rbd], PASSWORD, name, clock)
    for username in ("directora", "asistencia", "ajeno"):  # each logs in on the 2nd
        auth.login(username, PASSWORD, at(2, 8), url)
    with transaction(url) as session:
        record = audit.record
        record(session, at(3), "asistencia", "import_sige", HOME, filename="nomina.xlsx",
               rows_read=120, added=118, changed=0, removed=2)
        record(session, at(4), "asistencia", "rut_correction.approve", HOME,
               correction_id=1, from_rut="100234567-2", to_rut="25123456-6",
               reason="provisional")
        record(session, at(5), "directora", "sync.request", HOME, **{
            "from": "2026-11-02", "to": "2026-11-05", "queued": ["110-1-A 2026-11-02"],
            "refused": [], "override_reason": "Apoderado confirmó"})
        record(session, at(5), "directora", "sync.override", HOME, course="110-1-A",
               day=datetime(2026, 11, 2).date(), reasons=["caso_1"],
               override_reason="Apoderado confirmó")
        record(session, at(15, 23, 30), None, "sync.outcome", HOME,
               day=datetime(2026, 11, 2).date(), courses=["110-1-A"], outcome="error",
               cause="caso_1", ticket="T-9", attempts=1, detail=None)
        record(session, at(4), "ajeno", "import_libro", OTHER, filename="zeta.csv",
               rows_read=50, added=50, changed=0, removed=0)
        record(session, at(6), "ajeno", "sync.request", OTHER, **{
            "from": "2026-11-02", "to": "2026-11-02", "queued": [], "refused": ["Zeta"],
            "override_reason": None})
