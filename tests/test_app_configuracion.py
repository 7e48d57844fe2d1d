"""Configuración in AppTest: the convenio is never shown back, every bad value is refused
with its reason and changes nothing, only a Director reaches the page, «Probar conexión»
asks a real (emulated) SIGE, and the school's users are managed and audited."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from reconcile import auth, settings
from reconcile.db import transaction
from reconcile.db.models import AuditLog, User
from reconcile.sige.emulator import ConvenioGrant, Emulator, load_nomina, serve_in_thread
from tests.app_helpers import make_school, make_user, open_page
from tests.browser import free_port
from tests.cli_helpers import snapshot

PAGE = "pages/configuracion.py"
RBD = 24875
SECRET = "TOKEN-MUY-SECRETO-9876"
NOMINA = Path(__file__).parent / "data" / "samples" / "nomina_sige.xlsx"


@pytest.fixture
def school(db_url, clock, monkeypatch):
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    make_school(db_url, clock)
    for role in ("director", "asistencia", "profesor"):
        make_user(db_url, role, role, [RBD])
    return db_url


def strings(message) -> list[str]:  # noqa: ANN001
    """Every string a proto message holds, however deep."""
    found = []
    for field, value in message.ListFields():
        for item in (value if field.is_repeated else [value]):
            if field.type == field.TYPE_MESSAGE:
                found += strings(item)
            elif isinstance(item, str):
                found.append(item)
    return found


def everything_shown(at) -> str:  # noqa: ANN001
    """The text and values of every element of the run, widgets' current values too."""
    texts = []

    def walk(node):  # noqa: ANN001, ANN202
        proto = getattr(node, "proto", None)
        if proto is not None:
            texts.extend(strings(proto))
        children = getattr(node, "children", None)
        for child in (children.values() if isinstance(children, dict) else []):
            walk(child)

    walk(at._tree)
    texts += [str(widget.value) for widget in at.text_input]
    return "\n".join(texts)


def submit_of(at, key: str):  # noqa: ANN001, ANN201
    """The submit button of the form holding the widget ``key``."""
    widget = at.get("text_input") + at.get("date_input")
    form = next(w for w in widget if w.key == key).proto.form_id
    return next(button for button in at.button if button.proto.form_id == form)


def button(at, label: str):  # noqa: ANN001, ANN201
    return next(b for b in at.button if b.label == label)


def audit_rows(url: str, action: str | None = None) -> list[AuditLog]:
    with transaction(url) as session:
        query = select(AuditLog).order_by(AuditLog.id)
        if action:
            query = query.where(AuditLog.action == action)
        rows = session.scalars(query).all()
        session.expunge_all()
        return rows


def test_the_convenio_is_written_but_never_shown_back(school):
    at = open_page("director", PAGE)
    assert not at.exception
    at.text_input(key="cfg_sige.convenio_token").input(SECRET)
    at.text_input(key="cfg_sige.cliente_id").input("cliente-secreto-1234")
    at = submit_of(at, "cfg_sige.convenio_token").click().run()
    assert not at.exception and not at.error
    assert "Credenciales guardadas" in at.warning[0].value  # ConvenioId is still missing
    assert "aún faltan ConvenioId:" in at.warning[0].value
    with transaction(school) as session:
        assert settings.get_value(session, "sige.convenio_token", RBD) == SECRET
        assert settings.get_value(session, "sige.convenio_id", RBD) is None  # empty: unchanged
    shown = everything_shown(at)
    assert "9876" in shown  # the masked form, to recognise it
    assert "TOKEN-MUY" not in shown and "cliente-secreto" not in shown
    again = open_page("director", PAGE)  # a fresh visit shows it masked too
    assert "TOKEN-MUY" not in everything_shown(again)
    [entry] = [e for e in audit_rows(school, settings.CHANGE_ACTION)
               if e.detail["key"] == "sige.convenio_token"]
    assert entry.username == "director" and entry.rbd == RBD
    assert "TOKEN-MUY" not in str(entry.detail) and entry.detail["value"].endswith("9876")


def test_an_empty_convenio_form_changes_nothing(school):
    at = open_page("director", PAGE)
    before = snapshot(school)
    at = submit_of(at, "cfg_sige.convenio_token").click().run()
    assert "no cambió nada" in at.info[0].value
    assert snapshot(school) == before


@pytest.mark.parametrize("key, value, reason", [
    ("cfg_calendar.default_close_working_day", "25", "debe estar entre 1 y 10"),
    ("cfg_calendar.default_close_time", "25:00", "HH:MM"),
    ("cfg_sige.base_url", "ftp://sige.example.cl", "http:// o https://"),
    ("cfg_sige.base_url", "https://sige.example.cl:99999", "puerto"),
    ("cfg_sige.read_timeout", "nan", "debe ser un número"),
    ("cfg_sync.concurrency", "0", "entre 1 y 32"),
    ("cfg_sync.report_deadline_hours", "1e9", "debe ser un número"),
    ("cfg_match.suggest_threshold", "1,5", "entre 0,5 y 1"),
    ("cfg_rut.provisional_min_body", "1000", "entre 30.000.000 y 999.999.999"),
    ("cfg_import.max_removal_share", "-0.2", "debe ser un número"),
    ("cfg_auth.session_idle_minutes", "0", "entre 1 y 1.440"),
    ("cfg_sige.convenio_token", "token con espacios", "espacios"),
])
def test_a_bad_value_is_refused_with_its_reason_and_changes_nothing(school, key, value, reason):
    at = open_page("director", PAGE)
    before = snapshot(school)
    at.text_input(key=key).input(value)
    at = submit_of(at, key).click().run()
    assert not at.exception
    assert "No se guardó nada" in at.error[0].value and reason in at.error[0].value
    assert at.text_input(key=key).value == value  # kept as typed, to fix it
    messages = "\n".join(m.value for m in [*at.error, *at.markdown, *at.success, *at.info])
    assert "token con" not in messages  # a refused secret is never echoed, only kept masked
    assert snapshot(school) == before


def test_a_close_outside_the_next_month_is_refused(school):
    """The issue's example: November closing on 1 October broke Inicio and Conciliación."""
    at = open_page("director", PAGE)
    before = snapshot(school)
    assert at.selectbox(key="cfg_close_month").value.label_es == "noviembre 2026"
    at.date_input(key="cfg_close_day_2026-11").set_value(date(2026, 10, 1))
    at = submit_of(at, "cfg_close_day_2026-11").click().run()
    assert "debe caer dentro de diciembre 2026" in at.error[0].value
    assert snapshot(school) == before


def test_a_months_close_is_set_shown_and_undone(school):
    at = open_page("director", PAGE)
    assert any("03-12-2026 17:00** (según la regla por defecto)" in m.value for m in at.markdown)
    at.date_input(key="cfg_close_day_2026-11").set_value(date(2026, 12, 9))
    at = submit_of(at, "cfg_close_day_2026-11").click().run()
    assert not at.error
    assert any("09-12-2026 17:00** (cierre propio de este establecimiento)" in m.value
               for m in at.markdown)
    said = " ".join(m.value for m in at.success)
    assert "09-12-2026 17:00" in said and "2026-12-09T" not in said  # as people write it
    with transaction(school) as session:
        assert settings.stored_value(session, "calendar.close.2026-11", RBD).startswith(
            "2026-12-09T17:00")
    at = at.button(key="cfg_close_clear").click().run()
    assert any("03-12-2026 17:00** (según la regla por defecto)" in m.value for m in at.markdown)
    actions = [e.action for e in audit_rows(school) if e.username == "director"]
    assert actions[-2:] == [settings.CHANGE_ACTION, settings.CLEAR_ACTION]


def test_the_default_rule_changes_the_close_in_effect(school):
    at = open_page("director", PAGE)
    at.text_input(key="cfg_calendar.default_close_working_day").input("5")
    at = submit_of(at, "cfg_calendar.default_close_working_day").click().run()
    assert not at.error
    assert any("07-12-2026 17:00** (según la regla por defecto)" in m.value for m in at.markdown)
    assert at.text_input(key="cfg_calendar.default_close_working_day").value == "5"


def test_installation_values_are_the_administrators_with_several_schools(school, clock):
    make_school(school, clock, 30001, "Liceo Norte")
    at = open_page("director", PAGE)
    assert at.text_input(key="cfg_sige.base_url").disabled
    assert at.text_input(key="cfg_sync.concurrency").disabled
    assert not at.text_input(key="cfg_match.suggest_threshold").disabled  # the school's own
    assert any("administrador del sistema" in c.value for c in at.caption)


@pytest.mark.parametrize("role", ["asistencia", "profesor"])
def test_a_non_director_never_reaches_the_page(school, role):
    at = open_page(role, "pages/inicio.py")
    assert "Configuración" not in at.session_state["menu_titles"]
    assert "Inicio" in at.session_state["menu_titles"]
    at = at.switch_page(PAGE).run()  # its address, typed by hand
    assert not at.exception
    assert [t.value for t in at.title] == ["Configuración"]
    assert "Solo Director(a) puede cambiar la configuración" in at.info[0].value
    assert not at.text_input and not at.tabs and not at.get("date_input")
    assert [b.key for b in at.button] == ["logout"]


def test_the_director_sees_it_in_the_menu(school):
    at = open_page("director", "pages/inicio.py")
    assert "Configuración" in at.session_state["menu_titles"]


@pytest.fixture
def sige(school, tmp_path):
    enrolment, _bad = load_nomina(NOMINA)
    grant = ConvenioGrant("cliente-1", "convenio-1", "token-correcto", frozenset({RBD}))
    emulator = Emulator(enrolment, [grant], store=tmp_path / "sige.db")
    with serve_in_thread(emulator) as running:
        with transaction(school) as session:
            settings.set_value(session, "sige.base_url", running.url)
            for key, value in (("sige.cliente_id", "cliente-1"),
                               ("sige.convenio_id", "convenio-1")):
                settings.set_value(session, key, value, RBD)
        yield running
    emulator.store.close()


@pytest.mark.parametrize("token, outcome, words", [
    ("token-correcto", "ok", "Conexión correcta"),
    ("token-equivocado", "credenciales_rechazadas", "no aceptó las credenciales"),
])
def test_probar_conexion_asks_sige(school, sige, token, outcome, words):
    with transaction(school) as session:
        settings.set_value(session, "sige.convenio_token", token, RBD)
    at = open_page("director", PAGE)
    at = at.button(key="cfg_probe").click().run()
    assert not at.exception
    shown = (at.success if outcome == "ok" else at.error)[0].value
    assert words in shown and sige.url in shown
    [entry] = audit_rows(school, "sige.test_connection")
    assert entry.username == "director" and entry.detail["outcome"] == outcome


def test_probar_conexion_says_when_the_convenio_leaves_this_school_out(school, tmp_path):
    """Right credentials, a convenio that covers only another RBD: not «correcta»."""
    enrolment, _bad = load_nomina(NOMINA)
    grant = ConvenioGrant("cliente-1", "convenio-1", "token-correcto", frozenset({30001}))
    emulator = Emulator(enrolment, [grant], store=tmp_path / "sige.db")
    with serve_in_thread(emulator) as running:
        with transaction(school) as session:
            settings.set_value(session, "sige.base_url", running.url)
            for key, value in (("sige.cliente_id", "cliente-1"), ("sige.convenio_id", "convenio-1"),
                               ("sige.convenio_token", "token-correcto")):
                settings.set_value(session, key, value, RBD)
        at = open_page("director", PAGE).button(key="cfg_probe").click().run()
    emulator.store.close()
    assert not at.exception and not at.success
    said = at.error[0].value
    assert f"el convenio no cubre el RBD {RBD}" in said
    assert "el sostenedor debe agregar este establecimiento al convenio con el Mineduc" in said
    assert "Conexión correcta" not in said
    [entry] = audit_rows(school, "sige.test_connection")
    assert entry.detail["outcome"] == "rbd_fuera_del_convenio"


def test_probar_conexion_without_sige_at_the_address(school):
    with transaction(school) as session:
        settings.set_value(session, "sige.base_url", f"http://127.0.0.1:{free_port()}")
        for key in ("sige.cliente_id", "sige.convenio_id", "sige.convenio_token"):
            settings.set_value(session, key, "valor", RBD)
    at = open_page("director", PAGE).button(key="cfg_probe").click().run()
    assert "SIGE no respondió en http://127.0.0.1:" in at.error[0].value


def test_users_are_added_changed_disabled_and_reset_with_audit(school):
    at = open_page("director", PAGE)
    assert "director" not in at.selectbox(key="cfg_user").options  # never oneself
    at.text_input(key="cfg_new_username").input("ana.perez")
    at.text_input(key="cfg_new_name").input("Ana Pérez")
    at.selectbox(key="cfg_new_role").set_value("asistencia")
    at = button(at, "Agregar usuario").click().run()
    assert not at.exception and not at.error
    first = at.code[0].value
    with transaction(school) as session:
        assert auth.authenticate(session, "ana.perez", first).role == "asistencia"
    at = at.run()
    assert not at.code  # shown once

    at.selectbox(key="cfg_user").set_value("ana.perez")
    at = at.run()
    at = at.selectbox(key="cfg_role_ana.perez").set_value("profesor").run()
    at = at.button(key="cfg_change_role").click().run()
    at = at.button(key="cfg_toggle_active").click().run()
    with transaction(school) as session:
        user = session.scalar(select(User).where(User.username == "ana.perez"))
        assert (user.role, user.active) == ("profesor", False)
        with pytest.raises(auth.LoginFailed):
            auth.authenticate(session, "ana.perez", first)
    at = at.button(key="cfg_toggle_active").click().run()
    at = at.button(key="cfg_reset_password").click().run()
    second = at.code[0].value
    assert second != first
    with transaction(school) as session:
        assert auth.authenticate(session, "ana.perez", second).role == "profesor"
        with pytest.raises(auth.LoginFailed):
            auth.authenticate(session, "ana.perez", first)

    entries = [e for e in audit_rows(school) if e.action.startswith("user.")]
    assert [e.action for e in entries] == [auth.USER_ADD_ACTION, auth.USER_ROLE_ACTION,
                                           auth.USER_DISABLE_ACTION, auth.USER_ENABLE_ACTION,
                                           auth.USER_RESET_ACTION]
    assert {(e.username, e.rbd, e.detail["target"]) for e in entries} == {
        ("director", RBD, "ana.perez")}
    assert first not in str([e.detail for e in entries]) and second not in str(
        [e.detail for e in entries])


def test_a_bad_new_user_is_refused_and_nothing_changes(school):
    at = open_page("director", PAGE)
    before = snapshot(school)
    at.text_input(key="cfg_new_username").input("Ana Pérez")
    at = button(at, "Agregar usuario").click().run()
    assert "Nombre de usuario no válido" in at.error[0].value
    assert not at.code
    assert snapshot(school) == before


def test_a_refused_form_keeps_every_typed_value_and_names_the_field(school):
    at = open_page("director", PAGE)
    before = snapshot(school)
    at.text_input(key="cfg_sige.base_url").input("ftp://sige.example.cl")
    at.text_input(key="cfg_sige.read_timeout").input("30")
    at = submit_of(at, "cfg_sige.base_url").click().run()
    assert not at.exception
    said = at.error[0].value
    assert said.startswith("No se guardó nada: revise «Dirección base del servicio SIGE».")
    assert "Segundos de espera" not in said  # the good value is not blamed
    assert at.text_input(key="cfg_sige.base_url").value == "ftp://sige.example.cl"
    assert at.text_input(key="cfg_sige.read_timeout").value == "30"
    assert snapshot(school) == before
    at.text_input(key="cfg_sige.base_url").input("https://sige.example.cl")  # fix only that one
    at = submit_of(at, "cfg_sige.base_url").click().run()
    assert not at.error
    with transaction(school) as session:
        assert settings.get_value(session, "sige.base_url") == "https://sige.example.cl"
        assert settings.get_value(session, "sige.read_timeout") == "30"


def test_a_refused_convenio_keeps_the_three_masked_and_names_the_bad_one(school):
    at = open_page("director", PAGE)
    before = snapshot(school)
    typed = {"cfg_sige.cliente_id": "cliente-1", "cfg_sige.convenio_id": "convenio-1",
             "cfg_sige.convenio_token": "token con espacios"}
    for key, value in typed.items():
        at.text_input(key=key).input(value)
    at = submit_of(at, "cfg_sige.convenio_token").click().run()
    said = at.error[0].value
    assert said.startswith("No se guardó nada: revise «ConvenioToken».")
    assert "ClienteId" not in said.splitlines()[0]
    for key, value in typed.items():
        widget = at.text_input(key=key)
        assert widget.value == value and widget.proto.type == widget.proto.PASSWORD
    messages = "\n".join(m.value for m in [*at.error, *at.markdown, *at.success])
    assert "token con" not in messages and "cliente-1" not in messages
    assert snapshot(school) == before
    at.text_input(key="cfg_sige.convenio_token").input("token-correcto")  # only the bad one
    at = submit_of(at, "cfg_sige.convenio_token").click().run()
    assert not at.error and not at.warning
    assert "Credenciales guardadas" in at.success[0].value
    assert [w.value for w in at.text_input if w.key in typed] == ["", "", ""]
    with transaction(school) as session:
        assert [settings.get_value(session, k, RBD) for k in
                ("sige.cliente_id", "sige.convenio_id", "sige.convenio_token")] == [
            "cliente-1", "convenio-1", "token-correcto"]


def test_a_partial_convenio_save_says_what_is_still_missing(school):
    at = open_page("director", PAGE)
    at.text_input(key="cfg_sige.cliente_id").input("cliente-1")
    at = submit_of(at, "cfg_sige.cliente_id").click().run()
    assert not at.error and not at.success
    said = at.warning[0].value
    assert said.startswith("Credenciales guardadas (ClienteId: ")
    assert "aún faltan ConvenioId y ConvenioToken" in said and "cliente-1" not in said
    at.text_input(key="cfg_sige.convenio_id").input("convenio-1")
    at = submit_of(at, "cfg_sige.convenio_id").click().run()
    assert "aún faltan ConvenioToken:" in at.warning[0].value


def test_a_new_user_is_profesor_by_default_and_a_refusal_keeps_what_was_typed(school):
    at = open_page("director", PAGE)
    assert at.selectbox(key="cfg_new_role").value == "profesor"  # the least privilege
    before = snapshot(school)
    at.text_input(key="cfg_new_username").input("Ana Pérez")
    at.text_input(key="cfg_new_name").input("Ana Pérez Soto")
    at.selectbox(key="cfg_new_role").set_value("asistencia")
    at = button(at, "Agregar usuario").click().run()
    assert "Nombre de usuario no válido" in at.error[0].value
    assert at.text_input(key="cfg_new_username").value == "Ana Pérez"
    assert at.text_input(key="cfg_new_name").value == "Ana Pérez Soto"
    assert at.selectbox(key="cfg_new_role").value == "asistencia"
    assert snapshot(school) == before
    at.text_input(key="cfg_new_username").input("ana.perez")
    at = button(at, "Agregar usuario").click().run()
    assert not at.error and at.code
    assert at.text_input(key="cfg_new_username").value == ""  # made: the form is empty again
    with transaction(school) as session:
        made = session.scalar(select(User).where(User.username == "ana.perez"))
        assert (made.role, made.display_name) == ("asistencia", "Ana Pérez Soto")
