"""Delivery of the outbox: a server down then up (delivered once), the .eml folder when
no server is set, the test message's Spanish errors, and the users' addresses."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from reconcile import access, auth
from reconcile.clock import FixedClock, as_santiago
from reconcile.db import transaction
from reconcile.db.models import OutboxMessage, User
from reconcile.notify import digest, outbox
from tests.cli_helpers import run_cli, snapshot
from tests.mail_helpers import (
    SMTP_PASSWORD,
    bodies,
    free_port,
    point_at,
    read_message,
    small_school,
    smtp_server,
)
from tests.sync_helpers import NOW, PASSWORD, configure

AT = as_santiago(datetime(2026, 11, 17, 7, 5))


@dataclass
class School:
    url: str
    rbd: int

    def user(self, username: str) -> access.AuthUser:
        with transaction(self.url) as session:
            return auth.get_user(session, username)


@pytest.fixture
def school(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("RECONCILE_MAIL_DIR", str(tmp_path / "correo"))
    rbd = small_school(db_url)
    with transaction(db_url) as session:
        auth.set_email(session, "director", "directora@colegio.cl")
    return School(db_url, rbd)


def _alert(url: str, rbd: int, clock: FixedClock) -> None:
    with transaction(url) as session:
        digest.queue_alert(session, rbd, "riesgo", ["Quedan 12 días-curso sin enviar."], clock)


def _rows(url: str) -> list[OutboxMessage]:
    with transaction(url) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_server_down_then_up_delivered_exactly_once(db_url, school):
    port = free_port()  # nothing listens there yet
    point_at(db_url, port)
    clock = FixedClock(AT)
    _alert(db_url, school.rbd, clock)

    assert outbox.deliver_due(clock, worker="w1", url=db_url) == 0
    [row] = _rows(db_url)
    assert row.sent_at is None and row.attempts == 1
    assert row.next_attempt_at == AT + timedelta(minutes=1)
    assert row.last_error == (f"El servidor de correo 127.0.0.1:{port} rechazó la conexión: "
                              "revise mail.smtp_port, o que el servidor esté funcionando.")
    with transaction(db_url) as session:
        assert outbox.next_due(session) == AT + timedelta(minutes=1)

    clock.advance(timedelta(seconds=30))  # not due yet: nothing tried
    assert outbox.deliver_due(clock, worker="w1", url=db_url) == 0
    assert _rows(db_url)[0].attempts == 1
    clock.advance(timedelta(seconds=31))
    assert outbox.deliver_due(clock, worker="w1", url=db_url) == 0  # still down: 2 minutes
    assert _rows(db_url)[0].next_attempt_at == clock.now() + timedelta(minutes=2)

    with smtp_server(port) as inbox:
        clock.advance(timedelta(minutes=2))
        assert outbox.deliver_due(clock, worker="w1", url=db_url) == 1
        clock.advance(timedelta(hours=2))  # asked again, and by another worker: nothing more
        assert outbox.deliver_due(clock, worker="w2", url=db_url) == 0
    assert len(inbox.received) == 1
    [row] = _rows(db_url)
    assert row.attempts == 3 and row.sent_at == clock.now() - timedelta(hours=2)
    assert row.last_error is None and row.delivered_to == f"127.0.0.1:{port}"
    with transaction(db_url) as session:
        assert outbox.next_due(session) is None
        [notice] = outbox.recent(session, school.rbd)
    assert notice.kind_es == "Alerta" and notice.recipients == 1
    assert notice.state_es == f"Enviado el {clock.now() - timedelta(hours=2):%d-%m-%Y %H:%M}"


def test_a_message_held_by_a_live_worker_is_not_taken(db_url, school):
    clock = FixedClock(AT)
    _alert(db_url, school.rbd, clock)
    with transaction(db_url) as session:
        assert len(outbox.claim(session, "w1", 10, clock.now())) == 1
    with smtp_server() as inbox:
        point_at(db_url, inbox.port)
        assert outbox.deliver_due(clock, worker="w2", url=db_url) == 0
        clock.advance(outbox.LEASE + timedelta(seconds=1))  # w1 died: its lease ran out
        assert outbox.deliver_due(clock, worker="w2", url=db_url) == 1
    assert len(inbox.received) == 1


def test_without_a_server_each_message_is_an_eml_file(db_url, school, tmp_path):
    clock = FixedClock(AT)
    _alert(db_url, school.rbd, clock)
    assert outbox.deliver_due(clock, worker="w1", url=db_url) == 1
    folder = tmp_path / "correo"
    [path] = sorted(folder.iterdir())
    assert path.name == f"2026-11-17_070500_alert_{_rows(db_url)[0].id}.eml"
    assert _rows(db_url)[0].delivered_to == str(path)
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == "directora@colegio.cl"
    assert message["From"] == "Asistencia SIGE <asistencia-sige@localhost>"
    assert message["Subject"] == f"Asistencia SIGE · RBD {school.rbd} · Alerta: riesgo de cierre"
    assert message["Date"].datetime == AT
    text, html = bodies(message)
    assert "Quedan 12 días-curso sin enviar." in text and "Abrir el panel: http://127.0.0.1:8501"
    assert "<p>Quedan 12 días-curso sin enviar.</p>" in html
    assert not [p for p in folder.iterdir() if p.suffix != ".eml"]  # no temporary left
    clock.advance(timedelta(hours=1))
    assert outbox.deliver_due(clock, worker="w1", url=db_url) == 0
    assert len(list(folder.iterdir())) == 1


def test_html_escapes_what_it_shows(db_url, school):
    with transaction(db_url) as session:
        digest.queue_alert(session, school.rbd, "rechazo", ['<script>x</script> & "y"'],
                           FixedClock(AT))
    [row] = _rows(db_url)
    assert "<script>" not in row.body_html
    assert "&lt;script&gt;x&lt;/script&gt; &amp; &quot;y&quot;" in row.body_html


# --- mail test: sent now, the server's problems in Spanish ------------------------------

def test_mail_test_reaches_the_server(db_url, school):
    with smtp_server(login=True) as inbox:
        point_at(db_url, inbox.port, login=True)
        done = run_cli("mail", "test", "--to", "  prueba@colegio.cl ")
    assert done.returncode == 0, done.stderr
    assert f"Correo de prueba para prueba@colegio.cl aceptado por el servidor 127.0.0.1:" \
           f"{inbox.port}." in done.stdout
    [got] = inbox.received
    assert got.rcpt_tos == ["prueba@colegio.cl"]
    assert got.message["Subject"] == "Correo de prueba · Asistencia SIGE"
    assert "La contraseña del correo viajaría sin cifrar" in done.stdout  # security none


@pytest.mark.parametrize("problem", ["password", "port", "tls", "starttls"])
def test_mail_test_says_what_is_wrong_in_spanish(db_url, school, problem):
    with smtp_server(login=True) as inbox:
        point_at(db_url, inbox.port, login=True)
        expected = {
            "password": f"El servidor de correo 127.0.0.1:{inbox.port} rechazó el usuario o "
                        "la contraseña: revise mail.smtp_user y mail.smtp_password.",
            "tls": f"Falló la conexión segura (TLS) con el servidor de correo 127.0.0.1:"
                   f"{inbox.port}: revise mail.smtp_security y mail.smtp_port (465 usa ssl, "
                   "587 usa starttls).",
            "starttls": f"El servidor de correo 127.0.0.1:{inbox.port} no ofrece conexión "
                        "segura STARTTLS: revise mail.smtp_security (ssl para el puerto 465) y "
                        "mail.smtp_port.",
        }
        if problem == "password":
            configure(db_url, {"mail.smtp_password": "otra clave"})
        elif problem == "port":
            port = free_port()
            configure(db_url, {"mail.smtp_port": port})
            expected["port"] = (f"El servidor de correo 127.0.0.1:{port} rechazó la conexión: "
                                "revise mail.smtp_port, o que el servidor esté funcionando.")
        else:
            configure(db_url, {"mail.smtp_security": "ssl" if problem == "tls" else "starttls"})
        before = snapshot(db_url)
        done = run_cli("mail", "test", "--to", "prueba@colegio.cl")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == expected[problem]
    assert SMTP_PASSWORD not in done.stdout + done.stderr and "otra clave" not in done.stderr
    assert "Traceback" not in done.stderr and inbox.received == []
    assert snapshot(db_url) == before


def test_mail_test_without_a_server_writes_the_file(db_url, school, tmp_path):
    done = run_cli("mail", "test", "--to", "prueba@colegio.cl")
    assert done.returncode == 0, done.stderr
    [path] = (tmp_path / "correo").iterdir()
    assert f"quedó en {path}" in done.stdout
    assert read_message(path.read_bytes())["To"] == "prueba@colegio.cl"


def test_mail_test_refuses_a_bad_address(db_url, school):
    before = snapshot(db_url)
    done = run_cli("mail", "test", "--to", "prueba.colegio.cl")
    assert done.returncode == 2
    assert done.stderr.strip() == ("La dirección «prueba.colegio.cl» no es válida: no es una "
                                   "dirección de correo (falta la @).")
    assert snapshot(db_url) == before


# --- users' addresses -------------------------------------------------------------------

def test_user_email_from_the_command_line(db_url, school):
    done = run_cli("user", "add", "ana", "--role", "asistencia", "--rbd", str(school.rbd),
                   "--email", "Ana.Perez@Colegio.CL", "--password-stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    done = run_cli("user", "email", "director", "dir@colegio.cl")
    assert (done.returncode, done.stdout.strip()) == (0, "Correo de director: dir@colegio.cl.")
    listed = run_cli("user", "list").stdout
    assert "Ana.Perez@colegio.cl" in listed and "dir@colegio.cl" in listed
    assert "(sin correo)" in listed  # profesor
    with transaction(db_url) as session:
        assert digest.recipients(session, school.rbd) == ["Ana.Perez@colegio.cl",
                                                          "dir@colegio.cl"]
    done = run_cli("user", "email", "ana", "--remove")
    assert (done.returncode, done.stdout.strip()) == (0, "Correo de ana quitado.")
    with transaction(db_url) as session:
        assert session.scalar(select(User.email).where(User.username == "ana")) is None


@pytest.mark.parametrize("args, reason", [
    (["user", "email", "director", "dir@colegio"],
     "Correo no válido: «dir@colegio»: el dominio «colegio» no es válido: use uno como "
     "colegio.cl."),
    (["user", "email", "director", "dir @colegio.cl"],
     "Correo no válido: «dir @colegio.cl»: no puede contener espacios."),
    (["user", "email", "nadie", "nadie@colegio.cl"], "No existe el usuario «nadie»."),
    (["user", "email", "director"],
     "Indique el correo nuevo, o --remove para quitarlo (no ambos)."),
    (["user", "add", "bea", "--role", "director", "--rbd", "{rbd}", "--email", "bea@",
      "--password-stdin"],
     "Correo no válido: «bea@»: el dominio «» no es válido: use uno como colegio.cl."),
])
def test_a_bad_address_is_refused_and_changes_nothing(db_url, school, args, reason):
    before = snapshot(db_url)
    done = run_cli(*[a.format(rbd=school.rbd) for a in args], stdin=PASSWORD + "\n")
    assert done.returncode == 2
    assert done.stderr.strip() == reason
    assert snapshot(db_url) == before


def test_a_director_sets_addresses_in_their_school(db_url, school):
    director, profesor = school.user("director"), school.user("profesor")
    with transaction(db_url) as session:
        auth.change_email(session, director, school.rbd, "profesor", "p@colegio.cl",
                          FixedClock(NOW))
        auth.change_email(session, director, school.rbd, "director", "", FixedClock(NOW))
        users = {u.username: u.email for u in auth.school_users(session, director, school.rbd)}
    assert users == {"asistencia": None, "director": None, "profesor": "p@colegio.cl"}
    with transaction(db_url) as session, pytest.raises(auth.PermissionDenied):
        auth.change_email(session, profesor, school.rbd, "asistencia", "a@colegio.cl")
