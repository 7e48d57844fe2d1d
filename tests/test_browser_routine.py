"""The monthly routine in a real browser, against the `make run` stack (the panel, the SIGE
emulator and the worker as processes, on a temporary database): the Administrador de
Asistencia loads the week's files, approves a correction, sends the month and watches
Estado's clocks turn synced without reloading; a profesor finds sending disabled; a
sostenedor switches schools; the Director moves the month's close and Inicio follows.

Each step saves a screenshot under the test's tmp folder and in tests/artifacts/routine/
(git-ignored), so CI keeps them."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path

import pytest
import requests

from reconcile.db import transaction
from reconcile.db.models import Establishment
from reconcile.demo import generate_school, write_files
from reconcile.demo_setup import DEMO_CREDENTIALS
from tests.browser import ROOT, browser_page, dashboard, free_port, log_in
from tests.cli_helpers import run_cli

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOW = "2026-11-20T10:00"  # the panel, the worker and the emulator: a Friday of November
LAST_WEEK = "2026-11-13T10:00"  # the demo was built then: the Libro stops on the 13th
MONTH = (2026, 11)
SECOND_RBD, SECOND_NAME = 20145, "Liceo Bicentenario Los Andes"
SOSTENEDOR_PASSWORD = "sostenedor-de-prueba-2026"
FAST_WORKER = {"sync.concurrency": "8", "sync.report_poll_seconds": "1",
               "sync.report_max_wait_seconds": "2", "sync.retry_initial_seconds": "1"}
SYNC_TIMEOUT_MS = 600_000  # the whole month through the worker on a busy 2-core machine
ARTIFACTS = ROOT / "tests" / "artifacts" / "routine"
SYMBOLS_JS = """symbol => Array.from(document.querySelectorAll(
    '[data-testid=stPlotlyChart] text')).filter(t => t.textContent.trim() === symbol).length"""


class Shots:
    """Numbered screenshots in the test's folder, copied to tests/artifacts/routine/."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.count = folder, 0
        folder.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(ARTIFACTS, ignore_errors=True)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, page, name: str, settle: bool = True) -> Path:  # noqa: ANN001
        if settle:  # else as it is now (Estado re-runs on a timer while anything is in process)
            settled(page)
        self.count += 1
        path = self.folder / f"{self.count:02d}_{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shutil.copy(path, ARTIFACTS / path.name)
        return path


def settled(page) -> None:  # noqa: ANN001
    """Wait until the page's script run has finished drawing."""
    page.wait_for_function("document.querySelector('[data-testid=stApp]')"
                           "?.dataset.testScriptState === 'notRunning'")


@contextmanager
def background(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """`python -m reconcile ARGS` running beside the panel, as `make run` starts it."""
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "reconcile", *args], cwd=ROOT,
                                   env={**os.environ, **env}, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for_emulator(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"el emulador terminó: {log.read_text()}"
        try:
            if requests.get(f"{url}/_emulator/sends", timeout=1).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.3)
    raise AssertionError(f"el emulador no respondió en 60 s: {log.read_text()}")


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = run_cli(*args, env=env, stdin=stdin, timeout=300)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return done.stdout


def passwords(demo_output: str) -> dict[str, str]:
    """The users' one-time passwords that `demo` prints."""
    found = dict(re.findall(r"^\s+(\w+)\s.*contraseña: (\S+)$", demo_output, re.MULTILINE))
    assert {"director", "asistencia", "profesor"} <= set(found), demo_output
    return found


def second_school(env: dict[str, str], folder: Path) -> None:
    """Another school of the same sostenedor, imported from the command line."""
    school = generate_school(MONTH, today=date(2026, 11, 20), seed=7, rbd=SECOND_RBD,
                             name=SECOND_NAME)
    files = write_files(school, folder)
    cli(env, "import-sige", str(files.nomina))
    cli(env, "import-libro", str(files.libro_long))
    with transaction(env["DATABASE_URL"]) as session:  # a nómina names no school: as `demo` does
        session.get(Establishment, SECOND_RBD).name = SECOND_NAME


def go_to(page, title: str) -> None:  # noqa: ANN001
    page.get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title, exact=True).wait_for()


def log_out(page) -> None:  # noqa: ANN001
    page.get_by_role("button", name="Cerrar sesión").click()
    page.get_by_label("Contraseña").wait_for()


def load_file(page, tab: str, path: Path) -> None:  # noqa: ANN001
    """Upload on «Cargar datos», read the check and save what it brings."""
    page.get_by_role("tab", name=tab).click()
    panel = page.get_by_role("tabpanel", name=tab)
    if panel.get_by_role("button", name="Cargar otro archivo").count():
        panel.get_by_role("button", name="Cargar otro archivo").click()
    panel.locator("input[type=file]").set_input_files(str(path))
    panel.get_by_text("Archivo revisado sin errores").wait_for(timeout=120_000)
    settled(page)
    panel.get_by_role("button", name="Guardar en la base").click()
    panel.get_by_text("Guardado.").wait_for(timeout=120_000)


def symbols(page, symbol: str) -> int:  # noqa: ANN001
    return page.evaluate(SYMBOLS_JS, symbol)


def synced_in_database(env: dict[str, str]) -> int:
    report = json.loads(cli(env, "status", "--json"))
    return sum(entry["state"] == "sincronizado" for entry in report["course_days"])


def test_the_monthly_routine_in_the_browser(tmp_path):
    url = f"sqlite:///{tmp_path / 'rutina.db'}"
    env = {"DATABASE_URL": url, "RECONCILE_NOW": NOW}
    sige_port = free_port()
    sige = f"http://127.0.0.1:{sige_port}"
    shot = Shots(tmp_path / "routine")

    # What `make run` does first: the database and the demo school (built a week ago)
    cli(env, "init-db")
    built = cli({**env, "RECONCILE_NOW": LAST_WEEK}, "demo", "--folder",
                str(tmp_path / "demo"), "--sige-url", sige)
    users = passwords(built)
    for key, value in FAST_WORKER.items():
        cli(env, "config", "set", key, value)
    second_school(env, tmp_path / "segundo")
    cli(env, "user", "add", "slep", "--role", "sostenedor", "--rbd", "10234", "--rbd",
        str(SECOND_RBD), "--display-name", "Sostenedora Rosa Fuentes", "--password-stdin",
        stdin=SOSTENEDOR_PASSWORD + "\n")
    # this week's files, as the school exports them on the 20th
    week = write_files(generate_school(MONTH, today=date(2026, 11, 20)), tmp_path / "semana")

    credentials = ":".join(DEMO_CREDENTIALS[k] for k in
                           ("sige.cliente_id", "sige.convenio_id", "sige.convenio_token"))
    with ExitStack() as stack:
        emulator_log = tmp_path / "emulator.log"
        emulator = stack.enter_context(background(
            ["emulator", "--port", str(sige_port), "--nomina", str(week.nomina),
             "--credentials", credentials, "--delay", "2", "--state",
             str(tmp_path / "sige_emulator.db"), "--fresh"], env, emulator_log))
        wait_for_emulator(sige, emulator, emulator_log)
        worker = stack.enter_context(background(["worker"], env, tmp_path / "worker.log"))
        address = stack.enter_context(dashboard(env))
        page = stack.enter_context(browser_page())
        page.set_default_timeout(90_000)
        page.goto(address)

        # 1. The Administrador de Asistencia loads the week's nómina and Libro
        log_in(page, "asistencia", users["asistencia"])
        page.get_by_text("Escuela Demostración Los Aromos").first.wait_for()
        page.get_by_text("Días hábiles sin ningún registro").wait_for()  # 16th to 20th
        shot(page, "inicio_asistencia")
        go_to(page, "Cargar datos")
        page.get_by_role("tab", name="Nómina SIGE").click()
        nomina = page.get_by_role("tabpanel", name="Nómina SIGE")
        nomina.locator("input[type=file]").set_input_files(str(week.nomina))
        nomina.get_by_text("Archivo revisado sin errores").wait_for(timeout=120_000)
        # the enrolment is the one loaded last week: nothing to save
        nomina.get_by_text("El archivo no trae cambios respecto de lo ya cargado.").wait_for()
        assert nomina.get_by_role("button", name="Guardar en la base").count() == 0
        shot(page, "cargar_nomina")
        load_file(page, "Asistencia del Libro Digital", week.libro_long)
        shot(page, "cargar_libro_larga")
        load_file(page, "Asistencia del Libro Digital", week.libro_wide)
        shot(page, "cargar_libro_planilla")
        go_to(page, "Inicio")
        page.get_by_text("Todos los días hábiles hasta hoy tienen asistencia").wait_for()

        # 2. approves a suggested provisional-vs-definitive pair
        go_to(page, "Conciliación")
        page.get_by_role("heading", name="Pares sugeridos del rango").wait_for()
        page.get_by_role("button", name=re.compile(r"^Aprobar par de ")).first.click()
        page.get_by_role("button", name="Confirmar").click()
        page.get_by_text("Corrección aplicada:").first.wait_for()
        page.get_by_role("button", name="Deshacer").first.wait_for()
        shot(page, "conciliacion_correccion")

        # 3. sends the month
        go_to(page, "Sincronización")
        page.get_by_role("button", name="Sincronización SIGE").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_text("Seleccionar todas").click()
        dialog.get_by_text(re.compile(r"^Se enviarán \d+ día")).wait_for()
        settled(page)
        shot(page, "sincronizacion_plan")
        # some days are not ready: the button says that only the ready ones go
        dialog.get_by_role("button", name="Sincronizar solo los listos", exact=True).click()
        page.get_by_text("En cola para enviar a SIGE").first.wait_for()
        shot(page, "sincronizacion_en_cola")

        # 4. Estado: the clocks turn synced as the worker and the emulator finish
        go_to(page, "Estado")
        page.wait_for_function(f"({SYMBOLS_JS})('◷') > 0")
        page.evaluate("window.sinRecargar = true")  # gone if the page were reloaded
        shot(page, "estado_en_proceso", settle=False)
        page.wait_for_function(f"({SYMBOLS_JS})('◷') === 0 && ({SYMBOLS_JS})('✔') > 0",
                               timeout=SYNC_TIMEOUT_MS, polling=1000)
        assert page.evaluate("window.sinRecargar === true"), "Estado se recargó"
        page.get_by_text("Hay envíos en proceso").wait_for(state="detached")
        settled(page)
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        assert symbols(page, "✔") == synced_in_database(env) > 0
        shot(page, "estado_sincronizado")
        log_out(page)

        # 5. a profesor sees the month but cannot send
        log_in(page, "profesor", users["profesor"])
        page.get_by_text("Profesora Carmen Vidal").wait_for()
        assert page.get_by_role("link", name="Cargar datos", exact=True).count() == 0
        go_to(page, "Sincronización")
        page.get_by_text("los botones para sincronizar están desactivados").wait_for()
        assert page.get_by_role("button", name="Sincronización SIGE").is_disabled()
        shot(page, "sincronizacion_profesor")
        log_out(page)

        # 6. the sostenedor switches to the other school
        log_in(page, "slep", SOSTENEDOR_PASSWORD)
        page.get_by_role("heading", name="Escuela Demostración Los Aromos").wait_for()
        page.get_by_label("Establecimiento").click()
        page.get_by_role("option", name=f"{SECOND_NAME} (RBD {SECOND_RBD})").click()
        page.get_by_role("heading", name=SECOND_NAME).wait_for()
        shot(page, "inicio_segundo_establecimiento")
        go_to(page, "Establecimientos")
        page.get_by_text(SECOND_NAME).first.wait_for()
        shot(page, "establecimientos")
        log_out(page)

        # 7. the Director moves November's close; Inicio follows
        log_in(page, "director", users["director"])
        page.get_by_text("03-12-2026 17:00", exact=True).wait_for()  # the default: 3rd working day
        go_to(page, "Configuración")
        page.get_by_role("tab", name="Calendario").click()
        calendar = page.get_by_role("tabpanel", name="Calendario")
        # a date field of segments (day, month, year): the day alone moves the close
        close_day = calendar.get_by_role("spinbutton", name="día, Fecha de cierre")
        close_day.click()
        close_day.press_sequentially("10")
        calendar.get_by_role("spinbutton", name="día, Fecha de cierre").and_(
            page.locator("[aria-valuenow='10']")).wait_for()
        calendar.get_by_role("button", name="Fijar el cierre de noviembre 2026").click()
        calendar.get_by_text("Cierre de noviembre 2026 fijado").wait_for()
        calendar.get_by_text("10-12-2026 17:00").first.wait_for()
        shot(page, "configuracion_cierre")
        go_to(page, "Inicio")
        page.get_by_text("10-12-2026 17:00").wait_for()
        assert page.get_by_text("03-12-2026 17:00", exact=True).count() == 0
        shot(page, "inicio_nuevo_cierre")
