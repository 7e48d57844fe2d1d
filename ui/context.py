"""Who is logged in, which school is in view, and the product's clock."""
from __future__ import annotations

import streamlit as st

from reconcile.auth import AuthUser
from reconcile.clock import Clock, default_clock

USER_KEY = "auth_user"
SCHOOL_KEY = "selected_rbd"


def clock() -> Clock:
    return default_clock()


def current_user() -> AuthUser | None:
    return st.session_state.get(USER_KEY)


def require_user() -> AuthUser:
    """Every page requires login: without a user, the page shows the login form."""
    user = current_user()
    if user is None:
        from ui.login import login_page  # the form needs this module: import late

        login_page()
        st.stop()
    return user


def selected_rbd() -> int:
    user = require_user()
    rbd = st.session_state.get(SCHOOL_KEY)
    return rbd if rbd in user.rbds else user.rbds[0]


def sign_in(user: AuthUser) -> None:
    st.session_state[USER_KEY] = user
    st.session_state[SCHOOL_KEY] = user.rbds[0]


def sign_out() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]
