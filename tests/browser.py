"""A real dashboard in a real headless Chromium, for end-to-end tests."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("CI needs Debian's chromium for the browser tests (.ci/run installs it)")
    pytest.skip("chromium is not installed here (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def dashboard(env: dict[str, str]) -> Iterator[str]:
    """Start `streamlit run dashboard.py` on a free port; yield its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
         "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/_stcore/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.3)
        else:
            raise RuntimeError("the dashboard did not start within 60 s")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def browser_page(width: int = 1400, height: int = 900) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(),
                                             args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height},
                                    locale="es-CL")
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def log_in(page, username: str, password: str) -> None:  # noqa: ANN001
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Ingresar").click()


@contextmanager
def school_in_browser(tmp_path: Path, clock, username: str, role: str) -> Iterator[tuple]:  # noqa: ANN001
    """A fresh database with the sample school and one user, the dashboard on it pinned to
    ``clock``, and a browser page at its address: yields (page, database URL)."""
    from reconcile.db import upgrade
    from tests.app_helpers import make_school, make_user

    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    upgrade(url)
    make_school(url, clock)
    make_user(url, username, role, [24875])
    env = {"DATABASE_URL": url, "RECONCILE_NOW": clock.now().isoformat()}
    with dashboard(env) as address, browser_page() as page:
        page.goto(address)
        yield page, url


def settled(page, timeout_ms: int = 60_000) -> None:  # noqa: ANN001
    """Wait until the page's script run has finished drawing."""
    page.wait_for_function("document.querySelector('[data-testid=stApp]')"
                           "?.dataset.testScriptState === 'notRunning'", timeout=timeout_ms)


def accessible_names(page) -> list[tuple[str, str]]:  # noqa: ANN001
    """(role, accessible name) of every node a screen reader reaches, as Chromium itself
    computes them (its accessibility tree, through the DevTools protocol)."""
    session = page.context.new_cdp_session(page)
    try:
        nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        session.detach()
    return [(node.get("role", {}).get("value", ""), node.get("name", {}).get("value", ""))
            for node in nodes if not node.get("ignored")]


def header_bottom(page) -> float:  # noqa: ANN001
    """How far down the screen the page header (title and school, ui/page.py) ends, in px."""
    return page.evaluate("document.querySelector('[data-testid=stMainBlockContainer] "
                         "[data-testid=stHorizontalBlock]').getBoundingClientRect().bottom")
