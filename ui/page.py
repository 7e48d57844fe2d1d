"""The top of every page: its title, who is logged in, the school in view, and logout.

Drawn by each page (not by dashboard.py) so that it is part of the page's own run.
"""
from __future__ import annotations

import streamlit as st

from reconcile.auth import AuthUser, page_refusal
from reconcile.db import session_factory
from reconcile.school import schools
from ui import context


def start(title: str, needs: str = "view") -> tuple[AuthUser, int]:
    """Draw the page header; return the user and the RBD of the school in view.

    ``needs`` is the permission the page needs (reconcile.auth.PERMISSIONS): a user
    without it at the school in view gets the header and why not, and nothing else."""
    user = context.require_user()
    heading, account = st.columns([3, 1], vertical_alignment="top")
    heading.title(title)
    with session_factory()() as session:
        names = {school.rbd: f"{school.name} (RBD {school.rbd})"
                 for school in schools(session, user.rbds)}
    with account:
        st.markdown(f"**{user.display_name}** · {user.role_label}")
        rbd = context.selected_rbd()
        if len(user.rbds) > 1:
            # A widget's state does not carry over to another page: the selector starts
            # every run from the kept school in view, and writes back to it.
            st.session_state[context.SCHOOL_WIDGET_KEY] = rbd
            st.selectbox("Establecimiento", user.rbds, key=context.SCHOOL_WIDGET_KEY,
                         format_func=lambda rbd: names.get(rbd, f"RBD {rbd}"),
                         placeholder="Elija un establecimiento",  # while typing to search
                         on_change=context.keep_school_choice)
        else:
            st.caption(names.get(rbd, f"RBD {rbd}"))
        if st.button("Cerrar sesión", key="logout"):
            context.sign_out()
            st.rerun()
    if not user.can(needs, rbd):
        st.info(page_refusal(user, needs))
        st.stop()
    return user, rbd
