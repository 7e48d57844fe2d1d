"""Which pages a role gets: each page of the dashboard with the permission it needs.

dashboard.py lists every page once, as ``menu.Page(...)`` (st.Page's arguments plus
``needs``, a key of ``reconcile.auth.PERMISSIONS``). A page the user's role may not
use is left out of the menu but stays registered, hidden: opened by its address it
shows the header and why not (``ui.page.start``), never its content. To add a page,
add one line there; for a new kind of page (e.g. one only a sostenedor uses), add its
permission to ``reconcile.auth.PERMISSIONS`` first, so the library and the menu agree.
"""
from __future__ import annotations

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from reconcile.auth import PERMISSIONS, AuthUser
from ui.page import start as start_page

MENU_KEY = "menu_titles"  # the titles of the pages this user's menu shows


class Menu:
    """The pages of one user's run, each remembered with the permission it needs."""

    def __init__(self, user: AuthUser) -> None:
        self.user = user
        self._needs: dict[str, str] = {}

    # Named after st.Page, whose arguments it takes (and so found where st.Page would be).
    def Page(self, page: str, *, needs: str = "view",  # noqa: N802
             **options: object) -> StreamlitPage:
        """``st.Page(page, **options)``, in the menu only if the user may ``needs``."""
        if needs not in PERMISSIONS:
            raise KeyError(f"permiso desconocido: {needs}")
        shown = "visible" if self.user.can(needs) else "hidden"
        made = st.Page(page, visibility=shown, **options)
        self._needs[made.url_path] = needs
        return made

    def needs_of(self, page: StreamlitPage) -> str:
        return self._needs[page.url_path]

    def navigation(self, pages: list[StreamlitPage]) -> StreamlitPage:
        """``st.navigation(pages)``: the page to run. A page the user may not use,
        opened by its address, gets the header and why not, and the run stops there.
        The titles in the user's menu are kept in ``st.session_state[MENU_KEY]``."""
        current = st.navigation(pages)
        st.session_state[MENU_KEY] = [p.title for p in pages if p.visibility == "visible"]
        needs = self.needs_of(current)
        if not self.user.can(needs):
            start_page(current.title, needs)  # draws the refusal and stops
        return current
