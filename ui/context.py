"""Who is logged in, which school is in view, and the product's clock.

The login lives in a database session (reconcile.sessions) whose signed token the
browser keeps in a cookie, so a refresh (F5) keeps the user logged in. Every run
checks that session again, so logout, a password change and idleness end it.
"""
from __future__ import annotations

import json

import streamlit as st

from reconcile import sessions
from reconcile.access import AuthUser
from reconcile.clock import Clock, default_clock
from reconcile.db import transaction
from ui.outage import notice_when_unreachable

USER_KEY = "auth_user"
SCHOOL_KEY = "school_in_view"  # not a widget's key: Streamlit keeps it across pages
SCHOOL_WIDGET_KEY = "school_selector"
COOKIE_KEY = "login_cookie"  # this browser's signed session token
COOKIE_READ_KEY = "login_cookie_read"  # the browser's cookies are read once per connection
COOKIE_WRITE_KEY = "cookie_writes"  # {name: (value, max-age)} to hand to the browser
NOTICE_KEY = "login_notice"
# The school in view also survives a refresh: not a secret, and checked against the
# user's schools like every other read of it.
SCHOOL_COOKIE = "asistencia_establecimiento"
SCHOOL_COOKIE_DAYS = 30


def clock() -> Clock:
    return default_clock()


def current_user() -> AuthUser | None:
    return st.session_state.get(USER_KEY)


def restore_session() -> AuthUser | None:
    """The user of this browser's live login session, or None. A new connection (a
    refresh) finds the session in the cookie. Checked on every run (dashboard.py, and
    again by ui.page.require_user for a page run on its own, as in AppTest)."""
    with notice_when_unreachable():  # a page run on its own reads the database here first
        user = _live_user()
    _write_pending_cookie()
    return user


def _live_user() -> AuthUser | None:
    cookie = st.session_state.get(COOKIE_KEY)
    if cookie is None and not st.session_state.get(COOKIE_READ_KEY):
        st.session_state[COOKIE_READ_KEY] = True
        cookie = st.context.cookies.get(sessions.COOKIE_NAME)
        school = st.context.cookies.get(SCHOOL_COOKIE)
        if isinstance(school, str) and school.isdigit():
            st.session_state[SCHOOL_KEY] = int(school)  # validated by selected_rbd
    if not isinstance(cookie, str) or not cookie:
        st.session_state.pop(USER_KEY, None)
        return None
    with transaction() as session:
        user = sessions.resolve(session, cookie, clock())
    if user is None:  # revoked, expired or idle: back to the login, and say why
        _forget_login()
        st.session_state[NOTICE_KEY] = ("Su sesión terminó (por inactividad, por tiempo o por "
                                        "un cambio de contraseña). Ingrese nuevamente.")
        return None
    st.session_state[USER_KEY], st.session_state[COOKIE_KEY] = user, cookie
    return user


def selected_rbd(user: AuthUser) -> int:
    """The school in view: one value for every page, always one of ``user``'s schools."""
    rbd = st.session_state.get(SCHOOL_KEY)
    if not _is_users_school(user, rbd):
        rbd = user.rbds[0]
        st.session_state[SCHOOL_KEY] = rbd
    return rbd


def keep_school_choice() -> None:
    """on_change of the school selector: keep the choice if it is one of the user's."""
    view_school(st.session_state.get(SCHOOL_WIDGET_KEY))


def view_school(rbd: object) -> bool:
    """Put ``rbd`` in view for every page (the selector, a drill-down); False, and
    nothing changed, when it is not one of the user's schools."""
    user = current_user()
    if user is None or not _is_users_school(user, rbd):
        return False
    st.session_state[SCHOOL_KEY] = rbd
    _set_cookie(SCHOOL_COOKIE, str(rbd), SCHOOL_COOKIE_DAYS * 86400)
    return True


def _is_users_school(user: AuthUser, rbd: object) -> bool:
    return isinstance(rbd, int) and not isinstance(rbd, bool) and rbd in user.rbds


def sign_in(user: AuthUser) -> None:
    """Start a login session and have the browser keep its cookie."""
    with transaction() as session:
        cookie = sessions.create(session, user.username, clock())
        max_age = sessions.max_age_seconds(session)
    st.session_state.pop(NOTICE_KEY, None)
    st.session_state[USER_KEY], st.session_state[COOKIE_KEY] = user, cookie
    st.session_state[SCHOOL_KEY] = user.rbds[0]
    _set_cookie(sessions.COOKIE_NAME, cookie, max_age)


def sign_out() -> None:
    """Logout: end the login session (audited) and have the browser drop the cookie."""
    cookie = st.session_state.get(COOKIE_KEY)
    if cookie:
        with transaction() as session:
            sessions.revoke(session, cookie, clock())
    _forget_login()


def _forget_login() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[COOKIE_READ_KEY] = True  # the connection's old cookie is not read again
    _set_cookie(sessions.COOKIE_NAME, "", 0)  # max-age 0: the browser drops it
    _set_cookie(SCHOOL_COOKIE, "", 0)


def _set_cookie(name: str, value: str, max_age: int) -> None:
    """Queue a cookie for the browser; restore_session writes it in this or the next run."""
    st.session_state.setdefault(COOKIE_WRITE_KEY, {})[name] = (value, max_age)


def _write_pending_cookie() -> None:
    """Hand the queued cookies to the browser. Streamlit has no API to set a cookie,
    so a tiny script does it; it cannot be HttpOnly, hence SameSite=Strict, Secure
    over https, and the session cookie holds only a signed token."""
    pending = st.session_state.pop(COOKIE_WRITE_KEY, None)
    if not pending:
        return
    lines = "".join(f"document.cookie = {json.dumps(f'{name}={value}; Max-Age={age}; Path=/')}"
                    " + attributes;" for name, (value, age) in pending.items())
    st.html("<script>{ const attributes = '; SameSite=Strict' + "
            f"(location.protocol === 'https:' ? '; Secure' : ''); {lines} }}</script>",
            unsafe_allow_javascript=True, width="content")
