"""``sync`` refusals through the command line: exit 2, the reason on stderr in
Spanish, nothing queued and the database unchanged row by row, except the one
audit row that records who asked for what and why it was refused."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from reconcile.cli import main
from reconcile.db import transaction
from reconcile.db.models import AuditLog, Setting
from reconcile.sige.config import CREDENTIAL_KEYS
from tests.cli_helpers import run_cli, snapshot
from tests.sync_helpers import NOW_ISO, build_school

OVERRIDE = "Enviar igual: SIGE debe ver estos cursos"
WEEK = ["--from", "2026-11-02", "--to", "2026-11-06"]
NOT_QUEUED = "No se puso nada en cola para enviar a SIGE."

# case: (RECONCILE_NOW, sync arguments, what stderr must say)
CASES = {
    "mes pasado": (NOW_ISO, ["--from", "2026-10-05", "--to", "2026-10-09", "--user",
                             "asistencia"],
                   ["El mes de octubre 2026 ya cerró su período de declaración en SIGE"]),
    "mes aún no abierto": ("2026-12-02T10:00", ["--from", "2026-12-01", "--to", "2026-12-02",
                                                "--user", "director"],
                           ["SIGE aún está en el mes de noviembre 2026; diciembre 2026 se abre "
                            "al cierre del período"]),
    "día sin registro": (NOW_ISO, ["--from", "2026-11-09", "--to", "2026-11-09", "--user",
                                   "asistencia"],
                         ["09-11-2026: no hay asistencia registrada en el Libro Digital ese "
                          "día: solo se envían días trabajados."]),
    "fin de semana": (NOW_ISO, ["--from", "2026-11-07", "--to", "2026-11-08", "--user",
                                "director"],
                      ["07-11-2026: no hay asistencia registrada",
                       "08-11-2026: no hay asistencia registrada"]),
    "día futuro": ("2026-11-06T10:00", ["--from", "2026-11-09", "--to", "2026-11-09",
                                        "--user", "director"],
                   ["El 09-11-2026 aún no llega: no se pueden enviar días futuros."]),
    "motivo sin ser Director": (NOW_ISO, [*WEEK, "--user", "asistencia", "--override-reason",
                                          OVERRIDE],
                                ["Solo el Director(a) puede enviar días que no están listos"]),
    "motivo muy corto": (NOW_ISO, [*WEEK, "--user", "director", "--override-reason", "ok"],
                         ["Escriba el motivo para enviar días que no están listos (al menos "
                          "10 caracteres)"]),
    "curso desconocido": (NOW_ISO, [*WEEK, "--user", "director", "--course", "110-9-Z"],
                          ["110-9-Z"]),
}


def refused(url: str, now: str, args: list[str], words: list[str], run) -> None:
    """Run ``sync`` with ``args``: it must exit 2 saying ``words`` and change nothing
    but add its own audit row."""
    before = snapshot(url)
    code, out, err = run(now, args)
    assert code == 2, (out, err)
    for text in words:
        assert text in err, err
    assert NOT_QUEUED in err and "Traceback" not in err and out == ""
    after = snapshot(url)
    audit_before, audit_after = before.pop("audit_log"), after.pop("audit_log")
    assert after == before  # no job, no day state, no setting moved
    assert not after["sync_job"] and not after["sync_job_course"]
    assert len(audit_after) == len(audit_before) + 1
    with transaction(url) as session:
        entry = session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(1)).one()
    assert entry.action == "sync.request"
    assert entry.username == args[args.index("--user") + 1]
    assert entry.detail["queued"] == [] and entry.detail["refused"]
    assert entry.detail["override_reason"] is None


@pytest.fixture
def small(db_url, tmp_path):
    return build_school(db_url, tmp_path / "demo")


def test_each_refusal_exits_2_and_changes_nothing(small, capsys, monkeypatch):
    def in_process(now: str, args: list[str]):
        monkeypatch.setenv("RECONCILE_NOW", now)
        code = main(["sync", *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    for case, (now, args, words) in CASES.items():
        try:
            refused(small.url, now, args, words, in_process)
        except AssertionError as failure:
            raise AssertionError(f"{case}: {failure}") from None

    # the month and a range together: a usage error, refused before anything
    before = snapshot(small.url)
    code, _, err = in_process(NOW_ISO, ["--month", *WEEK, "--user", "director"])
    assert code == 2 and "Use --month o bien --from y --to" in err
    assert snapshot(small.url) == before

    # without the convenio credentials nothing can be sent
    with transaction(small.url) as session:
        session.execute(delete(Setting).where(Setting.key.in_(CREDENTIAL_KEYS),
                                              Setting.rbd == small.rbd))
    refused(small.url, NOW_ISO, ["--month", "--user", "director"],
            [f"El establecimiento RBD {small.rbd} no tiene las credenciales del convenio SIGE "
             "(sige.cliente_id, sige.convenio_id, sige.convenio_token)"], in_process)


def test_a_profesor_is_refused_by_the_real_command(small):
    def as_process(now: str, args: list[str]):
        done = run_cli("sync", *args, env={"DATABASE_URL": small.url, "RECONCILE_NOW": now})
        return done.returncode, done.stdout, done.stderr

    refused(small.url, NOW_ISO, [*WEEK, "--user", "profesor"],
            ["El rol Profesor(a) no puede", "solo Director(a) o Administrador(a) de Asistencia"],
            as_process)
