"""Which pages a role gets: each page of the dashboard with the permission it needs.

dashboard.py lists every page once, as ``menu.Page(...)`` (st.Page's arguments plus
``needs``, a key of ``reconcile.access.PERMISSIONS``). A page the user's role may not
use is left out of the menu but stays registered, hidden: opened by its address it
shows the header and why not (``ui.page.start``), never its content. To add a page,
add one line there; for a new kind of page (e.g. one only a sostenedor uses), add its
permission to ``reconcile.access.PERMISSIONS`` first, so the library and the menu agree.

An address that names no page of this user (a typo, a page of another kind of user)
opens «Página no encontrada» with the user's own pages, in Spanish: Streamlit's English
"Page not found" never shows, because that address is given a page of ours first.
"""
from __future__ import annotations

import streamlit as st
from streamlit.navigation.page import StreamlitPage
from streamlit.runtime.scriptrunner import get_script_run_ctx

from reconcile.access import PERMISSIONS, AuthUser
from ui.page import LINKS_KEY, your_pages
from ui.page import start as start_page

NOT_FOUND = "Página no encontrada"

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
        shown = [p for p in pages if p.visibility == "visible"]
        st.session_state[MENU_KEY] = [p.title for p in shown]
        st.session_state[LINKS_KEY] = shown
        unknown = unknown_address(pages)
        if unknown:
            pages = [*pages, st.Page(not_found, title=NOT_FOUND, url_path=unknown,
                                     icon=":material/help:", visibility="hidden")]
            self._needs[unknown] = "view"
        current = st.navigation(pages)
        needs = self.needs_of(current)
        if not self.user.can(needs):
            start_page(current.title, needs)  # draws the refusal and stops
        return current


def unknown_address(pages: list[StreamlitPage]) -> str | None:
    """The address this run asks for when none of ``pages`` has it (else None).

    Streamlit answers such an address with its English "Page not found" and the default
    page; a page of ours registered at that very address is found instead."""
    ctx = get_script_run_ctx()
    if ctx is None or ctx.pages_manager.intended_page_script_hash in {
            p._script_hash for p in pages}:  # noqa: SLF001 - chosen by the menu or switch_page
        return None
    wanted = (ctx.pages_manager.intended_page_name or "").strip().strip("/")
    if not wanted or "/" in wanted or wanted in {p.url_path for p in pages}:
        return None
    return wanted


def not_found() -> None:
    """«Página no encontrada»: the header, what happened and the user's own pages."""
    start_page(NOT_FOUND)
    st.info("Esta dirección no corresponde a ninguna de sus páginas: puede estar mal "
            "escrita o ser de una página que su perfil no usa.")
    your_pages()


def login_navigation(login_page) -> StreamlitPage:  # noqa: ANN001
    """Before login every address shows the login form (in Spanish), never "Page not
    found"; after it, the address asked for is opened if the user has that page."""
    pages = [st.Page(login_page, title="Ingresar", icon=":material/login:")]
    unknown = unknown_address(pages)
    if unknown:
        pages.append(st.Page(login_page, title="Ingresar", icon=":material/login:",
                             url_path=unknown))
    return st.navigation(pages, position="hidden")
