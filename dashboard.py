"""Streamlit entry point: page config, login, role, navigation over pages/."""
import streamlit as st

from reconcile import audit
from reconcile.db import upgrade
from ui import context
from ui.login import login_page
from ui.spanish import apply as spanish_texts

st.set_page_config(page_title="Asistencia SIGE", page_icon="📋", layout="wide")
spanish_texts()  # Streamlit's own English texts, in Spanish


@st.cache_resource
def _migrated() -> bool:
    upgrade()  # the schema is always current before any page reads it
    return True


_migrated()
user = context.restore_session()  # the login survives a refresh (F5) until it ends
if user is None:
    navigation = st.navigation([st.Page(login_page, title="Ingresar", icon=":material/login:")],
                               position="hidden")
else:
    navigation = st.navigation([
        st.Page("pages/inicio.py", title="Inicio", icon=":material/home:", default=True),
        st.Page("pages/cargar_datos.py", title="Cargar datos", icon=":material/upload_file:"),
        st.Page("pages/conciliacion.py", title="Conciliación", icon=":material/fact_check:"),
        st.Page("pages/sincronizacion.py", title="Sincronización",
                icon=":material/cloud_upload:"),
        st.Page("pages/estado.py", title="Estado", icon=":material/monitoring:"),
        *([st.Page("pages/sostenedor.py", title="Establecimientos", icon=":material/domain:")]
          if len(user.rbds) > 1 else []),  # several schools side by side
        *([st.Page("pages/auditoria.py", title="Auditoría", icon=":material/history:")]
          if user.role in audit.READERS else []),
    ])
navigation.run()
