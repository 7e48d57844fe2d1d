"""The top of every page: its title, the school in view, who is logged in, and logout.

Drawn by each page (not by dashboard.py) so that it is part of the page's own run. One
row, so that the page's content starts high on a 1366 × 768 screen: the title beside
the school in view (the sostenedor's selector, wide enough for a long name); who is
logged in and «Cerrar sesión» go in the menu's column.
"""
from __future__ import annotations

import streamlit as st

from reconcile.access import AuthUser, page_refusal
from reconcile.db import session_factory
from reconcile.school import schools
from ui import context
from ui.login import login_page

LINKS_KEY = "menu_links"  # the user's pages (ui/navigation.py), offered where a page is refused


def require_user() -> AuthUser:
    """Every page requires login: without a user, the page shows the login form."""
    user = context.restore_session()
    if user is None:
        login_page()
        st.stop()
    return user


def start(title: str, needs: str = "view") -> tuple[AuthUser, int]:
    """Draw the page header; return the user and the RBD of the school in view.

    ``needs`` is the permission the page needs (reconcile.access.PERMISSIONS): a user
    without it at the school in view gets the header and why not, and nothing else."""
    user = require_user()
    heading, school = st.columns([5, 6], vertical_alignment="center")
    heading.title(title)
    with session_factory()() as session:
        names = {school.rbd: f"{school.name} (RBD {school.rbd})"
                 for school in schools(session, user.rbds)}
    rbd = context.selected_rbd(user)
    with school:
        if len(user.rbds) > 1:
            # A widget's state does not carry over to another page: the selector starts
            # every run from the kept school in view, and writes back to it.
            st.session_state[context.SCHOOL_WIDGET_KEY] = rbd
            st.selectbox("Establecimiento", user.rbds, key=context.SCHOOL_WIDGET_KEY,
                         format_func=lambda rbd: names.get(rbd, f"RBD {rbd}"),
                         placeholder="Elija un establecimiento",  # while typing to search
                         on_change=context.keep_school_choice, label_visibility="collapsed")
        else:
            st.caption(names.get(rbd, f"RBD {rbd}"))
    account()
    if not user.can(needs, rbd):
        st.info(page_refusal(user, needs))
        your_pages()
        st.stop()
    return user, rbd


def account() -> None:
    """Who is logged in and the logout, under the menu."""
    user = require_user()
    with st.sidebar:
        st.markdown(f"**{user.display_name}** · {user.role_label}")
        if st.button("Cerrar sesión", key="logout", icon=":material/logout:"):
            context.sign_out()
            st.rerun()


def your_pages() -> None:
    """Links to the pages this user may open (where a page is refused or not found)."""
    links = st.session_state.get(LINKS_KEY) or []
    if links:
        st.markdown("Sus páginas:")
        for link in links:
            st.page_link(link)
