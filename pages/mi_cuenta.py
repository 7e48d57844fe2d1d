"""Mi cuenta (every role): who is logged in, and «Cambiar mi contraseña».

The rule (current password, the new one twice, its length; the user's other sessions
end; audited) is ``reconcile.auth.change_own_password``. A refused change keeps what
was typed, masked; a done change clears the fields, and this browser stays logged in
with a new session.
"""
import streamlit as st

from reconcile import auth
from reconcile.db import session_factory, transaction
from reconcile.errors import UserError
from reconcile.school import schools
from ui import context, page

FIELDS = {"current": "mc_current", "new": "mc_new", "repeated": "mc_repeated"}
DONE = "mc_done"  # the success line, shown on the run after the change

user, _rbd = page.start("Mi cuenta")
with session_factory()() as session:
    names = [f"{school.name} (RBD {school.rbd})" for school in schools(session, user.rbds)]
st.markdown(f"**Usuario**: {user.username}  \n**Nombre**: {user.display_name}  \n"
            f"**Rol**: {user.role_label}  \n"
            f"**{'Establecimiento' if len(names) == 1 else 'Establecimientos'}**: {', '.join(names)}")

st.subheader("Cambiar mi contraseña")
if st.session_state.pop(DONE, None):
    st.success("Contraseña cambiada. Las demás sesiones abiertas con su usuario terminaron; "
               "esta sigue abierta.")
with st.form("mc_password", border=False):
    st.text_input("Contraseña actual", type="password", key=FIELDS["current"],
                  autocomplete="current-password")
    st.text_input("Contraseña nueva", type="password", key=FIELDS["new"],
                  autocomplete="new-password",
                  help=f"Al menos {auth.MIN_PASSWORD_LENGTH} caracteres.")
    st.text_input("Repita la contraseña nueva", type="password", key=FIELDS["repeated"],
                  autocomplete="new-password")
    pressed = st.form_submit_button("Guardar contraseña nueva", type="primary")
if pressed:
    typed = {name: st.session_state.get(key, "") for name, key in FIELDS.items()}
    try:
        with transaction() as session:
            auth.change_own_password(session, user, typed["current"], typed["new"],
                                     typed["repeated"], context.clock())
    except UserError as refused:
        st.error("No se cambió la contraseña:\n\n"
                 + "\n\n".join(f"- {reason}" for reason in refused.reasons))
    else:
        for key in FIELDS.values():
            st.session_state.pop(key, None)
        context.sign_in(user)  # the change ended every session: this browser gets a new one
        context.view_school(_rbd)  # and keeps the school it had in view
        st.session_state[DONE] = True
        st.rerun()
