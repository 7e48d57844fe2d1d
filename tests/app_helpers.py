"""Helpers for AppTest page tests: a school, users, and a logged-in app."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from reconcile import auth
from reconcile.clock import FixedClock
from reconcile.db import transaction
from reconcile.db.models import Establishment

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "clave-segura-123"


def make_school(url: str, clock: FixedClock, rbd: int = 24875,
                name: str = "Escuela Los Aromos") -> None:
    with transaction(url) as session:
        session.add(Establishment(rbd=rbd, name=name, created_at=clock.now()))


def make_user(url: str, username: str, role: str, rbds: list[int]) -> None:
    with transaction(url) as session:
        auth.add_user(session, username, role, rbds, PASSWORD)


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=30)


def log_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def open_page(username: str, page: str) -> AppTest:
    """Log in as ``username`` and go to ``page`` (e.g. ``pages/conciliacion.py``)."""
    return log_in(app().run(), username).switch_page(page).run()
