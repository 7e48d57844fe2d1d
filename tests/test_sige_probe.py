"""«Probar conexión» against the emulator over real HTTP: it says «correcta» only when
the credentials work AND the convenio covers the school's RBD; a convenio that leaves
the RBD out is named as such, with what to do (not «revise las credenciales»); what
could not be checked is said plainly. The probe sends nothing to SIGE."""
from __future__ import annotations

from pathlib import Path

import pytest

from reconcile import access, settings
from reconcile.clock import FixedClock
from reconcile.db import transaction
from reconcile.demo_setup import DEMO_CREDENTIALS
from reconcile.sige.causes import SIN_CONVENIO
from reconcile.sige.emulator import ConvenioGrant, Emulator, FaultPlan, load_nomina, serve_in_thread
from reconcile.sige.emulator.faults import HTTP_503
from reconcile.sige.probe import NOT_COVERED, OK, REFUSED, UNCHECKED, probe_connection
from reconcile.sync.status import month_status
from reconcile.sync.verify import bounded_client
from tests.app_helpers import make_school
from tests.sync_helpers import NOW, build_school, configure, queue, run_worker

NOMINA = Path(__file__).parent / "data" / "samples" / "nomina_sige.xlsx"
RBD = 24875
CREDS = ("cliente-1", "convenio-1", "token-correcto")
DIRECTOR = access.AuthUser("directora", "Directora", access.DIRECTOR, (RBD,))


class ReportsDown(FaultPlan):
    """SIGE hands out semillas but every other call meets a gateway's 503."""

    def draw(self, operation: str, carries_semilla: bool = True) -> str | None:
        return HTTP_503 if operation == "getReporteEnvioAsistencia" else None


def probe(db_url: str, clock, covered: frozenset[int], faults: FaultPlan | None = None,  # noqa: ANN001
          token: str = CREDS[2]):
    """Run the probe for RBD against an emulator whose convenio covers ``covered``;
    return (the check, the emulator's sends)."""
    enrolment, _bad = load_nomina(NOMINA)
    emulator = Emulator(enrolment, [ConvenioGrant(*CREDS, covered)], faults=faults)
    with serve_in_thread(emulator) as running:
        with transaction(db_url) as session:
            settings.set_value(session, "sige.base_url", running.url)
            for key, value in zip(("sige.cliente_id", "sige.convenio_id",
                                   "sige.convenio_token"), (*CREDS[:2], token), strict=True):
                settings.set_value(session, key, value, RBD)
        client = bounded_client(db_url)
        try:
            with transaction(db_url) as session:
                check = probe_connection(session, DIRECTOR, RBD, client, clock)
        finally:
            client.close()
        return check, emulator.sends(), running.url


@pytest.fixture
def school(db_url, clock):
    make_school(db_url, clock, RBD)
    return db_url


def test_correcta_only_when_the_convenio_covers_the_rbd(school, clock):
    check, sends, url = probe(school, clock, frozenset({RBD, 30001}))
    assert check.outcome == OK and check.ok
    assert check.message.startswith(f"Conexión correcta: SIGE ({url}) aceptó las credenciales")
    assert f"RBD {RBD}" in check.message
    assert sends == []  # nothing was sent to prove it


def test_a_convenio_without_this_rbd_is_not_correcta_and_says_what_to_do(school, clock):
    check, sends, _url = probe(school, clock, frozenset({30001}))  # another school only
    assert check.outcome == NOT_COVERED and not check.ok and not check.uncertain
    assert "Conexión correcta" not in check.message
    assert f"el convenio no cubre el RBD {RBD}" in check.message
    assert "el sostenedor debe agregar este establecimiento al convenio con el Mineduc" in \
        check.message
    assert "no las cambie" in check.message
    assert sends == []


def test_what_could_not_be_checked_is_said_plainly(school, clock):
    check, _sends, _url = probe(school, clock, frozenset({RBD}), faults=ReportsDown())
    assert check.outcome == UNCHECKED and check.uncertain and not check.ok
    assert f"no se pudo comprobar que el convenio cubra el RBD {RBD}" in check.message
    assert "Conexión correcta" not in check.message


def test_wrong_credentials_are_still_credentials(school, clock):
    check, _sends, _url = probe(school, clock, frozenset({RBD}), token="token-equivocado")
    assert check.outcome == REFUSED and "no aceptó las credenciales" in check.message
    assert "Mineduc" not in check.message


@pytest.mark.parametrize("covered, token, says, never", [
    ("other", DEMO_CREDENTIALS["sige.convenio_token"],
     "el sostenedor debe agregar este establecimiento al convenio con el Mineduc",
     "revisar las credenciales"),
    ("this", "token-equivocado", "El Director debe revisar las credenciales del convenio",
     "Mineduc"),
])
def test_a_failed_send_says_whom_to_ask(db_url, tmp_path, covered, token, says, never):
    """The worker's sin_convenio days, as Estado lists them: SIGE's words pick the fix."""
    small = build_school(db_url, tmp_path / "demo")
    configure(db_url, {"sige.convenio_token": token}, small.rbd)
    enrolment, _bad = load_nomina(small.files.nomina)
    rbds = frozenset({small.rbd if covered == "this" else small.rbd + 1})
    grant = ConvenioGrant(*(DEMO_CREDENTIALS[k] for k in ("sige.cliente_id", "sige.convenio_id",
                                                          "sige.convenio_token")), rbds)
    emulator = Emulator(enrolment, [grant], store=tmp_path / "sige.db", clock=FixedClock(NOW))
    with serve_in_thread(emulator) as running:
        configure(db_url, {"sige.base_url": running.url})
        queue(small, "director")
        run_worker(db_url)
    emulator.store.close()
    with transaction(db_url) as session:
        errors = month_status(session, small.rbd, small.clock).errors
    assert errors and {entry.cause for entry in errors} == {SIN_CONVENIO}
    assert all(says in entry.fix_es and never not in entry.fix_es for entry in errors)
