"""A page while the database is out of reach: a notice in Spanish, never a traceback.

dashboard.py runs the login check and the page inside ``notice_when_unreachable()``:
when the database does not answer, the run ends with «La base de datos no responde…»
and the next click (a new run) finds it back, or shows the notice again.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from reconcile.db.outage import UNREACHABLE_ES, is_unreachable

log = logging.getLogger(__name__)


@contextmanager
def notice_when_unreachable() -> Iterator[None]:
    """Run the body; a database out of reach ends the run with the notice (any other
    error goes on as before)."""
    try:
        yield
    except Exception as error:
        if not is_unreachable(error):
            raise
        log.warning("La base de datos no responde (%s): la página muestra el aviso",
                    type(getattr(error, "orig", None) or error).__name__)
        st.error(UNREACHABLE_ES, icon=":material/cloud_off:")
        st.stop()
