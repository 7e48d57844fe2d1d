"""``sync`` by a role that can never send: the command says so first (exit 2, Spanish),
before asking which school, and changes nothing but its own audit row (a refused
request, as every refused sync request is recorded)."""
from __future__ import annotations

import pytest

from sqlalchemy import select

from reconcile import access, auth
from reconcile.db import transaction
from reconcile.db.models import AuditLog, Establishment
from tests.cli_helpers import run_cli, snapshot

PASSWORD = "clave-segura-123"


@pytest.fixture
def two_schools(db_url, clock):
    with transaction(db_url) as session:
        for rbd, name in ((24875, "Escuela Los Aromos"), (30001, "Liceo Norte")):
            session.add(Establishment(rbd=rbd, name=name, created_at=clock.now()))
        session.flush()
        auth.add_user(session, "sostenedora", access.SOSTENEDOR, [24875, 30001], PASSWORD)
        auth.add_user(session, "profe", access.PROFESOR, [24875], PASSWORD)
    return db_url


@pytest.mark.parametrize("user, rbd, role", [
    ("sostenedora", [], "Sostenedor"),
    ("sostenedora", ["--rbd", "30001"], "Sostenedor"),
    ("profe", [], "Profesor(a)"),
])
def test_a_role_that_cannot_send_is_told_so_before_the_school(two_schools, clock, user, rbd,
                                                              role):
    before = snapshot(two_schools)
    done = run_cli("sync", "--month", "--user", user, *rbd,
                   env={"RECONCILE_NOW": clock.now().isoformat()})
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert (f"El rol {role} no puede sincronizar con SIGE: solo Director(a) o "
            "Administrador(a) de Asistencia.") in done.stderr
    assert "--rbd" not in done.stderr  # not asked which school: no school would do
    assert "No se puso nada en cola" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    after = snapshot(two_schools)
    audit_before, audit_after = before.pop("audit_log"), after.pop("audit_log")
    assert after == before and len(audit_after) == len(audit_before) + 1
    with transaction(two_schools) as session:
        entry = session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(1)).one()
    assert (entry.action, entry.username) == ("sync.request", user)
    assert entry.detail["queued"] == [] and entry.detail["refused"]
