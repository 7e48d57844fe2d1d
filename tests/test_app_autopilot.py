"""The envío automático in the panel (AppTest, clock pinned): a Director turns it on in
Configuración and sees the next run, a bad hour is refused naming the field and changes
nothing, «Enviar ahora» shows the dry run before queueing, the mail test reaches a real
SMTP server (or says in Spanish why not), Inicio shows the setting read-only to an
Administradora de Asistencia and lists the digest in «Avisos», Estado and Sincronización
warn when the close is at risk or missed, and Establecimientos has the risk column."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from reconcile import auth
from reconcile.autopilot import setting as autopilot_setting
from reconcile.cli import main
from reconcile.clock import FixedClock
from reconcile.db import transaction
from reconcile.db.models import AuditLog, AutopilotRun, OutboxMessage, SyncJob
from reconcile.notify.outbox import deliver_due
from tests.app_helpers import app, log_in, make_school, make_user, open_page
from tests.cli_helpers import snapshot
from tests.mail_helpers import free_port, point_at, smtp_server
from tests.schools_helpers import school_month, worked_days
from tests.sync_helpers import NOW, PASSWORD, build_school, configure

CONFIG, INICIO = "pages/configuracion.py", "pages/inicio.py"
RBD = 24875
HOUR_LABEL = "Hora del envío automático (HH:MM, hora de Chile continental)"


def texts(at, kind: str) -> list[str]:  # noqa: ANN001
    return [element.value for element in getattr(at, kind)]


def shown(at) -> str:  # noqa: ANN001
    """The page's words: markdown, captions and every kind of message."""
    return "\n".join(texts(at, "markdown") + texts(at, "caption") + texts(at, "info")
                     + texts(at, "success") + texts(at, "warning") + texts(at, "error"))


def submit(at, form: str):  # noqa: ANN001, ANN201
    """The submit button of form ``form``."""
    return next(button for button in at.button if button.proto.form_id == form)


def pin(monkeypatch, moment: datetime) -> None:  # noqa: ANN001
    monkeypatch.setenv("RECONCILE_NOW", moment.isoformat(timespec="minutes"))


def count(url: str, model) -> int:  # noqa: ANN001
    with transaction(url) as session:
        return session.scalar(select(func.count()).select_from(model))


def open_small(username: str, page: str):  # noqa: ANN201
    """``open_page`` for the small demo school's users (their own password)."""
    return log_in(app().run(), username, PASSWORD).switch_page(page).run()


def set_email(url: str, username: str, email: str) -> None:
    with transaction(url) as session:
        auth.set_email(session, username, email, FixedClock(NOW))


# --- Configuración › Envío automático -----------------------------------------------------


@pytest.fixture
def school(db_url, clock, monkeypatch):
    """A school with no data yet, its Director and Administradora de Asistencia."""
    pin(monkeypatch, clock.now())
    make_school(db_url, clock)
    for role in ("director", "asistencia"):
        make_user(db_url, role, role, [RBD])
    return db_url


def test_a_director_turns_it_on_at_20_and_sees_the_next_run(school):
    at = open_page("director", CONFIG)
    assert not at.exception
    assert "Desactivado" in shown(at)
    assert not at.toggle(key="cfg_autopilot_on").value
    at.toggle(key="cfg_autopilot_on").set_value(True)
    at.text_input(key="cfg_autopilot_at").input("20:00")
    at = submit(at, "cfg_form_autopilot").click().run()
    assert not at.exception
    # Monday 16-11-2026 at 10:00: today's 20:00 is still to come
    assert ("Envío automático activado a las 20:00. Próximo envío automático: lunes "
            "16-11-2026 a las 20:00.") in texts(at, "success")
    assert "Próximo envío automático: **lunes 16-11-2026 a las 20:00**." in shown(at)
    assert "Lo activó «director»" in shown(at)
    assert at.toggle(key="cfg_autopilot_on").value
    assert at.text_input(key="cfg_autopilot_at").value == "20:00"
    with transaction(school) as session:
        stored = autopilot_setting.read(session, RBD)
        [entry] = session.scalars(select(AuditLog).where(
            AuditLog.action == autopilot_setting.ENABLE_ACTION)).all()
    assert (stored.enabled, stored.at_text, stored.enabled_by) == (True, "20:00", "director")
    assert entry.username == "director" and entry.rbd == RBD
    # and off again: the hour is kept
    at.toggle(key="cfg_autopilot_on").set_value(False)
    at = submit(at, "cfg_form_autopilot").click().run()
    assert any("desactivado" in t for t in texts(at, "success"))
    assert "Desactivado" in shown(at)


@pytest.mark.parametrize("hour", ["25:00", "7 de la mañana"])
def test_a_bad_hour_is_refused_naming_the_field_and_nothing_changes(school, hour):
    at = open_page("director", CONFIG)
    before = snapshot(school)
    at.toggle(key="cfg_autopilot_on").set_value(True)
    at.text_input(key="cfg_autopilot_at").input(hour)
    at = submit(at, "cfg_form_autopilot").click().run()
    assert not at.exception
    [error] = texts(at, "error")
    assert error.startswith(f"No se guardó nada: revise «{HOUR_LABEL}».")
    assert f"La hora «{hour}» no es válida" in error
    assert snapshot(school) == before
    assert at.text_input(key="cfg_autopilot_at").value == hour  # kept as typed
    assert at.toggle(key="cfg_autopilot_on").value


def test_the_mail_test_reaches_a_real_smtp_server(school):
    set_email(school, "director", "directora@escuela.example")
    with smtp_server() as inbox:
        point_at(school, inbox.port)
        at = open_page("director", CONFIG)
        assert at.text_input(key="cfg_mail_test_to").value == "directora@escuela.example"
        assert at.text_input(key="cfg_mail.smtp_host").value == "127.0.0.1"
        at = submit(at, "cfg_form_mail_test").click().run()
        assert not at.exception
        assert texts(at, "success") == [f"Correo de prueba para directora@escuela.example "
                                        f"aceptado por el servidor 127.0.0.1:{inbox.port}."]
    [received] = inbox.received
    assert received.rcpt_tos == ["directora@escuela.example"]
    assert received.message["Subject"] == "Correo de prueba · Asistencia SIGE"


def test_the_mail_test_to_a_wrong_port_says_why_in_spanish(school):
    point_at(school, free_port())  # nobody listens there
    at = open_page("director", CONFIG)
    at.text_input(key="cfg_mail_test_to").input("otra@escuela.example")
    at = submit(at, "cfg_form_mail_test").click().run()
    assert not at.exception
    [error] = texts(at, "error")
    assert error.startswith("No se envió el correo de prueba: El servidor de correo "
                            "127.0.0.1:")
    assert "rechazó la conexión: revise mail.smtp_port" in error
    assert "Traceback" not in shown(at) and "Errno" not in error


def test_the_mail_password_is_written_only_and_shown_masked(school):
    at = open_page("director", CONFIG)
    at.text_input(key="cfg_mail.smtp_host").input("smtp.escuela.example")
    at.text_input(key="cfg_mail.smtp_password").input("clave-del-correo-7788")
    at = submit(at, "cfg_form_mail").click().run()
    assert not at.exception
    assert "clave-del-correo-7788" not in shown(at)
    assert "`********7788`" in shown(at)
    assert at.text_input(key="cfg_mail.smtp_password").value == ""
    assert at.text_input(key="cfg_mail.smtp_host").value == "smtp.escuela.example"


def test_a_user_s_email_is_set_by_the_director_and_a_bad_one_is_refused(school):
    at = open_page("director", CONFIG)
    at.selectbox(key="cfg_email_user").set_value("asistencia")
    at = at.run()
    before = snapshot(school)
    at.text_input(key="cfg_email_asistencia").input("no es un correo")
    at = submit(at, "cfg_form_email_asistencia").click().run()
    assert not at.exception
    assert any("Correo no válido" in t for t in texts(at, "error"))
    assert snapshot(school) == before
    at.text_input(key="cfg_email_asistencia").input("asistencia@escuela.example")
    at = submit(at, "cfg_form_email_asistencia").click().run()
    assert "Correo de «asistencia» guardado." in texts(at, "success")
    with transaction(school) as session:
        assert auth.get_user(session, "asistencia").email == "asistencia@escuela.example"
    users = at.dataframe[0].value
    assert "asistencia@escuela.example" in list(users["Correo"])


# --- a school with attendance: Enviar ahora, Inicio, Estado, Sincronización -------------


@pytest.fixture
def small(db_url, tmp_path, monkeypatch):
    """The small demo school (ready days and days held by Caso 1 and 2), its envío
    automático on at 20:00 by its Director, both with an address; mail to .eml files."""
    monkeypatch.setenv("RECONCILE_MAIL_DIR", str(tmp_path / "correo"))
    pin(monkeypatch, NOW)
    built = build_school(db_url, tmp_path / "demo")
    with transaction(db_url) as session:
        autopilot_setting.enable(session, built.user("director"), built.rbd, "20:00",
                                 FixedClock(NOW))
    set_email(db_url, "director", "directora@escuela.example")
    set_email(db_url, "asistencia", "asistencia@escuela.example")
    return built


def test_enviar_ahora_shows_the_dry_run_then_queues(small):
    at = open_small("director", CONFIG)
    at = at.button(key="cfg_autopilot_now_open").click().run()
    assert not at.exception
    plan = next(t for t in texts(at, "markdown") if t.startswith("Si confirma, ahora "))
    assert count(small.url, SyncJob) == 0 and count(small.url, AutopilotRun) == 0
    assert "Retenidos por Caso 1" in shown(at) or "Retenidos por Caso 2" in shown(at)
    at = at.button(key="cfg_autopilot_confirm").click().run()
    assert not at.exception
    with transaction(small.url) as session:
        [run] = session.scalars(select(AutopilotRun)).all()
    assert run.queued > 0 and run.held > 0
    assert f"se ponen en cola para SIGE: **{run.queued} días-curso**" in plan  # as it said
    assert count(small.url, SyncJob) > 0
    assert (f"Enviado ahora: {run.queued} días-curso en cola para SIGE, {run.held} "
            "retenidos. El avance se ve en «Estado».") in texts(at, "success")


def test_asistencia_sees_the_setting_read_only_on_inicio(small):
    at = open_small("asistencia", INICIO)
    assert not at.exception
    words = shown(at)
    assert "**Activado** a las **20:00**" in words
    assert "Próximo envío automático: **lunes 16-11-2026 a las 20:00**." in words
    assert "Solo un Director(a) del establecimiento lo activa" in words
    assert not at.toggle and not at.text_input  # nothing to change here
    assert not any("configuracion" in link.proto.page for link in at.get("page_link"))
    assert "Aún no hay envíos automáticos." in words
    assert "Aún no hay avisos por correo de este establecimiento." in words


def test_inicio_lists_the_digest_in_avisos_after_the_run(small, capsys, tmp_path):
    # the same run, on demand, from the command line; then the worker's delivery
    assert main(["autopilot", "run", "--rbd", str(small.rbd), "--user", "asistencia"]) == 0
    capsys.readouterr()
    at = open_small("director", INICIO)
    assert not at.exception
    [avisos] = [table.value for table in at.table if "Asunto" in table.value.columns]
    [row] = avisos.to_dict("records")
    assert (row["Tipo"], row["Estado"]) == ("Resumen diario", "Pendiente de envío")
    assert row["Asunto"].startswith(f"Asistencia SIGE · RBD {small.rbd} · ")
    assert "Último envío: Envío automático pedido ahora del 16-11-2026 10:00" in shown(at)
    assert deliver_due(FixedClock(NOW), worker="prueba", url=small.url) == 1
    at = open_small("director", INICIO)
    [avisos] = [table.value for table in at.table if "Asunto" in table.value.columns]
    [row] = avisos.to_dict("records")
    assert row["Estado"] == "Enviado el 16-11-2026 10:00"
    assert row["Destino"] == (f"2 destinatarios; archivo .eml en la carpeta "
                              f"{tmp_path / 'correo'}")
    assert len(list((tmp_path / "correo").glob("*.eml"))) == 1
    with transaction(small.url) as session:
        [message] = session.scalars(select(OutboxMessage)).all()
    assert message.subject == row["Asunto"]


def test_estado_and_sincronizacion_warn_when_the_close_is_at_risk(small, monkeypatch):
    # on time (Monday 16 November): no banner, a discreet line
    at = open_small("asistencia", "pages/estado.py")
    assert not at.exception
    assert not any("cierre" in t for t in texts(at, "warning") + texts(at, "error"))
    assert any(t.startswith("A tiempo para el cierre.") for t in texts(at, "caption"))
    # Wednesday 2 December, SIGE still on November (closes on the 3rd at 17:00), with
    # days held by Caso 1 and 2 two worked days before the close: riesgo
    pin(monkeypatch, datetime(2026, 12, 2, 7, 5))
    for page in ("pages/estado.py", "pages/sincronizacion.py"):
        at = open_small("asistencia", page)
        assert not at.exception
        [banner] = [t for t in texts(at, "warning") if t.startswith("Riesgo")]
        assert banner.startswith("Riesgo de no llegar al cierre.")
        assert "El cierre es el 03-12-2026 17:00." in banner
        assert "días-curso retenidos no se enviarán hasta que se corrijan" in banner
    # Friday 4 December: the close went by with days SIGE never got
    pin(monkeypatch, datetime(2026, 12, 4, 8, 0))
    at = open_small("asistencia", "pages/estado.py")
    [banner] = [t for t in texts(at, "error") if t.startswith("Cierre vencido")]
    assert "la declaración cerró el 03-12-2026 17:00" in banner


# --- Establecimientos -------------------------------------------------------------------


def test_establecimientos_has_a_close_risk_column(db_url, clock, monkeypatch):
    pin(monkeypatch, clock.now())
    school_month(db_url, clock, RBD, "Escuela Los Aromos", 2, lambda c, d: "sincronizado")
    school_month(db_url, clock, 30001, "Liceo Norte", 2,
                 lambda c, d: "en_proceso" if c == 1 else "sincronizado")
    # Liceo Norte asks for a month's margin: its send in process is then late
    configure(db_url, {"autopilot.risk_margin_hours": 720}, rbd=30001)
    make_user(db_url, "slep", "sostenedor", [RBD, 30001])
    at = open_page("slep", "pages/sostenedor.py")
    assert not at.exception
    [table] = [frame.value for frame in at.dataframe if "Aviso" in frame.value.columns]
    risk = dict(zip(table["Establecimiento"], table["Riesgo de cierre"], strict=True))
    assert risk["Escuela Los Aromos (RBD 24875)"] == "A tiempo: nada pendiente"
    assert risk["Liceo Norte (RBD 30001)"].startswith("En riesgo: ")
    # its first course's days in process, every worked day so far: pending, not held
    pending = len(worked_days(db_url, clock))
    assert re.fullmatch(rf"En riesgo: fin previsto 16-11-2026 \d\d:\d\d, {pending} pendientes",
                        risk["Liceo Norte (RBD 30001)"]), risk
    # the library's order stands (schools with days to send first)
    assert list(table["Establecimiento"])[0] == "Liceo Norte (RBD 30001)"
