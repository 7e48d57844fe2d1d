"""The guide's screenshots (docs/img/), taken from the demo in a real Chromium: `make screenshots`.

Builds the demo on a database of its own in a temporary folder (`python -m reconcile demo`),
starts the SIGE emulator, a worker and the panel on free ports as `make run` does, lets the
envío automático send the month so Estado and Declaración show real states, then logs in as
each role and saves one PNG per page, 1366 px wide. Pages change; re-run this, never edit a
picture by hand. Needs Debian's chromium, found as the browser tests find it (tests/browser.py).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script (make screenshots): the project's packages

from reconcile.demo_setup import DEMO_CREDENTIALS, EMULATOR_NOMINA, SECOND_SCHOOL  # noqa: E402
from tests.browser import (  # noqa: E402
    browser_page,
    chromium_path,
    dashboard,
    free_port,
    log_in,
    settled,
)

NOW = "2026-11-20T10:00"  # a Friday of November 2026: three weeks of the month to show
MAIN_RBD = 10234
WIDTH = 1366
OUT = ROOT / "docs" / "img"
FAST_WORKER = {"sync.concurrency": "8", "sync.report_poll_seconds": "1",
               "sync.report_max_wait_seconds": "2", "sync.retry_initial_seconds": "1"}


@dataclass(frozen=True)
class Shot:
    """One picture: who, which page, what to do there first, how tall."""

    user: str
    page: str
    name: str
    height: int = 900
    then: Callable | None = None  # an action on the page before the picture: (page, files)


@dataclass(frozen=True)
class Demo:
    """The demo's own folder, and `python -m reconcile` run there as `make run` runs it. The
    commands run inside the folder, so the mails' folder reads «data/correo» as in `make run`
    and no path of this machine shows in a picture."""

    folder: Path
    env: dict[str, str]

    @classmethod
    def inside(cls, folder: Path) -> Demo:
        return cls(folder, {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'demo.db'}",
                            "RECONCILE_NOW": NOW, "RECONCILE_MAIL_DIR": "data/correo",
                            "PYTHONPATH": str(ROOT)})

    def cli(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "reconcile", *args], cwd=self.folder,
                              env=self.env, capture_output=True, text=True, timeout=600)
        if done.returncode:
            raise SystemExit(f"python -m reconcile {' '.join(args)}: {done.stderr}")
        return done.stdout

    def start(self, stack: ExitStack, *args: str) -> subprocess.Popen:
        """`python -m reconcile ARGS` beside the panel (its output in ARGS[0].log), stopped
        when the stack closes."""
        with (self.folder / f"{args[0]}.log").open("w") as log:
            process = subprocess.Popen([sys.executable, "-m", "reconcile", *args],
                                       cwd=self.folder, env=self.env, stdout=log,
                                       stderr=subprocess.STDOUT)
        stack.callback(process.wait, 15)
        stack.callback(process.terminate)
        return process

    def wait_until_answered(self, minutes: float = 10) -> None:
        """Until SIGE has answered every course-day sent (none left «en proceso»)."""
        deadline = time.monotonic() + minutes * 60
        while time.monotonic() < deadline:
            report = json.loads(self.cli("status", "--json", "--rbd", str(MAIN_RBD)))
            states = [day["state"] for day in report["course_days"]]
            if "sincronizado" in states and "en_proceso" not in states:
                return
            time.sleep(3)
        raise SystemExit("El SIGE de prueba no respondió todos los envíos a tiempo.")


def wait_for_sige(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/_emulator/sends", timeout=1).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.3)
    raise SystemExit(f"El SIGE de prueba no respondió en {seconds:.0f} s.")


def go_to(page, title: str) -> None:  # noqa: ANN001
    page.get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title, exact=True).wait_for()
    settled(page)


def log_out(page) -> None:  # noqa: ANN001
    page.get_by_role("button", name="Cerrar sesión").click()
    page.get_by_role("button", name="Ingresar").wait_for()


def scroll_to(text: str) -> Callable:
    def action(page, files: Path) -> None:  # noqa: ANN001, ARG001
        page.get_by_text(text, exact=False).first.scroll_into_view_if_needed()
        page.mouse.wheel(0, -120)
    return action


def open_tab(tab: str) -> Callable:
    def action(page, files: Path) -> None:  # noqa: ANN001, ARG001
        page.get_by_role("tab", name=tab).click()
        settled(page)
    return action


def check_libro(page, files: Path) -> None:  # noqa: ANN001
    """The Libro's attendance uploaded again: the check says what saving would change."""
    page.get_by_role("tab", name="Asistencia del Libro Digital").click()
    panel = page.get_by_role("tabpanel", name="Asistencia del Libro Digital")
    panel.locator("input[type=file]").set_input_files(str(files / "libro_asistencia_larga.csv"))
    panel.get_by_text("Archivo revisado sin errores").wait_for(timeout=120_000)
    settled(page)


def choose(page, label: str, option: str, tries: int = 3) -> None:  # noqa: ANN001
    """Pick ``option`` in a selectbox; a click while the page still draws may not open it."""
    for _ in range(tries):
        page.get_by_label(label).click()
        page.keyboard.type(option)
        found = page.get_by_role("option", name=option, exact=True)
        try:
            found.wait_for(timeout=5000)
        except Exception:  # noqa: BLE001 - not open yet: close whatever opened and again
            page.keyboard.press("Escape")
            continue
        found.click()
        settled(page)
        return
    raise SystemExit(f"No se pudo elegir «{option}» en «{label}».")


def course_with_both_cases(page, files: Path) -> None:  # noqa: ANN001, ARG001
    """«Qué corregir» on a course where a child is missing (Caso 1) and a RUT unknown (Caso 2)."""
    choose(page, "Curso con problemas", "2° Básico C")
    page.get_by_role("heading", name="Qué corregir").scroll_into_view_if_needed()
    page.mouse.wheel(0, -20)


def test_connection(page, files: Path) -> None:  # noqa: ANN001, ARG001
    """«Probar conexión» against the local SIGE: what it says when the convenio works."""
    page.get_by_role("button", name="Probar conexión").click()
    settled(page)


def sync_plan(page, files: Path) -> None:  # noqa: ANN001, ARG001
    page.get_by_role("button", name="Sincronización SIGE").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Seleccionar todas").click()
    dialog.get_by_text(re.compile(r"^Se enviarán \d+ día|^No hay días")).first.wait_for()
    settled(page)


SHOTS = [
    Shot("asistencia", "Inicio", "inicio", 1100),
    Shot("asistencia", "Pendientes", "pendientes", 1000),
    Shot("asistencia", "Cargar datos", "cargar_datos", 600, check_libro),
    Shot("asistencia", "Conciliación", "conciliacion", 1100),
    Shot("asistencia", "Conciliación", "conciliacion_detalle", 900, course_with_both_cases),
    Shot("asistencia", "Conciliación", "conciliacion_pares", 900,
         scroll_to("Pares sugeridos del rango")),
    Shot("asistencia", "Sincronización", "sincronizacion", 1000),
    Shot("asistencia", "Sincronización", "sincronizacion_plan", 900, sync_plan),
    Shot("asistencia", "Estado", "estado", 1000),
    Shot("asistencia", "Estado", "estado_errores", 900, scroll_to("Errores")),
    Shot("asistencia", "Declaración", "declaracion", 1100),
    Shot("asistencia", "Auditoría", "auditoria", 900),
    Shot("asistencia", "Mi cuenta", "mi_cuenta", 600),
    Shot("profesor", "Sincronización", "sincronizacion_profesor", 700),
    Shot("director", "Configuración", "configuracion", 800, test_connection),
    Shot("director", "Configuración", "configuracion_envio", 1000,
         open_tab("Envío automático")),
    Shot("director", "Configuración", "configuracion_usuarios", 800, open_tab("Usuarios")),
    Shot("sostenedor", "Establecimientos", "establecimientos", 900),
    Shot("sostenedor", "Declaración", "declaracion_sostenedor", 900),
]


def pictures(address: str, users: dict[str, str], files: Path) -> None:
    """Each role logs in once and takes its pictures, in SHOTS' order."""
    OUT.mkdir(parents=True, exist_ok=True)
    with browser_page(width=WIDTH, height=900) as page:
        page.set_default_timeout(90_000)
        page.goto(address)
        page.get_by_label("Contraseña").wait_for()
        page.screenshot(path=str(OUT / "login.png"), clip={"x": 0, "y": 0, "width": WIDTH,
                                                           "height": 400})
        for user in dict.fromkeys(shot.user for shot in SHOTS):
            log_in(page, user, users[user])
            page.get_by_role("button", name="Cerrar sesión").wait_for()
            for shot in (s for s in SHOTS if s.user == user):
                page.set_viewport_size({"width": WIDTH, "height": shot.height})
                go_to(page, shot.page)
                if shot.then:
                    shot.then(page, files)
                page.wait_for_timeout(1200)  # charts draw after the script has run
                page.screenshot(path=str(OUT / f"{shot.name}.png"))
                if page.get_by_role("dialog").count():  # a dialog left open blocks the menu
                    page.keyboard.press("Escape")
                    page.get_by_role("dialog").wait_for(state="detached")
                print(f"{user:11} {shot.page:16} docs/img/{shot.name}.png")
            page.set_viewport_size({"width": WIDTH, "height": 900})
            log_out(page)


def main() -> None:
    try:  # before building anything: the browser is the one thing that may be missing
        chromium_path()
    except pytest.skip.Exception as missing:
        raise SystemExit(f"Falta el navegador: {missing}") from None
    with tempfile.TemporaryDirectory(prefix="capturas-") as folder, ExitStack() as stack:
        demo = Demo.inside(Path(folder))
        sige = f"http://127.0.0.1:{free_port()}"
        demo.cli("init-db")
        built = demo.cli("demo", "--folder", str(demo.folder / "demo"), "--sige-url", sige)
        users = dict(re.findall(r"^\s+(\w+)\s.*contraseña: (\S+)$", built, re.MULTILINE))
        for key, value in FAST_WORKER.items():
            demo.cli("config", "set", key, value)
        credentials = ":".join(DEMO_CREDENTIALS[key] for key in
                               ("sige.cliente_id", "sige.convenio_id", "sige.convenio_token"))
        demo.start(stack, "emulator", "--port", sige.rsplit(":", 1)[1], "--nomina",
                   str(demo.folder / "demo" / EMULATOR_NOMINA), "--credentials", credentials,
                   "--delay", "1", "--state", str(demo.folder / "sige.db"), "--fresh")
        wait_for_sige(sige)
        demo.start(stack, "worker")
        # the envío automático's run of the day sends the ready days (its digest lands in
        # Inicio's «Avisos»); the days it holds are what Pendientes and Conciliación show
        demo.cli("autopilot", "run", "--rbd", str(MAIN_RBD), "--user", "director")
        # the Director sends two not-ready days anyway: SIGE answers Caso 1 and Caso 2,
        # the errors Estado explains
        demo.cli("sync", "--from", "2026-11-02", "--to", "2026-11-03", "--user", "director",
                 "--override-reason", "Prueba: ver qué responde SIGE")
        demo.wait_until_answered()
        print(f"Demostración enviada ({SECOND_SCHOOL.name} queda sin enviar)")
        pictures(stack.enter_context(dashboard(demo.env)), users, demo.folder / "demo")


if __name__ == "__main__":
    main()
