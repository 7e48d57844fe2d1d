"""Streamlit entry point: page config, login, role, navigation over pages/."""
import streamlit as st

from ui import preload

preload.everything()  # before any page, in one thread at a time (ui/preload.py says why)

from reconcile.db import upgrade  # noqa: E402 - after the preload, on purpose
from ui import context  # noqa: E402
from ui.login import login_page  # noqa: E402
from ui.navigation import Menu, login_navigation  # noqa: E402
from ui.outage import notice_when_unreachable  # noqa: E402
from ui.spanish import apply as spanish_texts  # noqa: E402

st.set_page_config(page_title="Asistencia SIGE", page_icon="📋", layout="wide")
spanish_texts()  # Streamlit's own English texts, in Spanish


@st.cache_resource
def _migrated() -> bool:
    upgrade()  # the schema is always current before any page reads it
    return True


with notice_when_unreachable():  # the database out of reach: a notice, not a traceback
    _migrated()
user = context.restore_session()  # the login survives a refresh (F5) until it ends
if user is None:
    navigation = login_navigation(login_page)  # at any address, even an unknown one
else:
    # Every page and the permission it needs (reconcile.access.PERMISSIONS; "view" by
    # default): the one table deciding which pages a role gets (ui/navigation.py).
    menu = Menu(user)
    navigation = menu.navigation([
        menu.Page("pages/inicio.py", title="Inicio", icon=":material/home:", default=True),
        menu.Page("pages/pendientes.py", title="Pendientes", icon=":material/checklist:"),
        menu.Page("pages/cargar_datos.py", title="Cargar datos", icon=":material/upload_file:",
                  needs="import"),
        menu.Page("pages/conciliacion.py", title="Conciliación", icon=":material/fact_check:"),
        menu.Page("pages/sincronizacion.py", title="Sincronización",
                  icon=":material/cloud_upload:"),
        menu.Page("pages/estado.py", title="Estado", icon=":material/monitoring:"),
        menu.Page("pages/declaracion.py", title="Declaración", icon=":material/task_alt:"),
        *([menu.Page("pages/sostenedor.py", title="Establecimientos", icon=":material/domain:")]
          if len(user.rbds) > 1 else []),  # several schools side by side
        menu.Page("pages/auditoria.py", title="Auditoría", icon=":material/history:",
                  needs="audit"),
        menu.Page("pages/configuracion.py", title="Configuración", icon=":material/settings:",
                  needs="configure"),
        menu.Page("pages/mi_cuenta.py", title="Mi cuenta", icon=":material/account_circle:"),
    ])  # a page opened by its address by a role without its permission: only why not
with notice_when_unreachable():
    navigation.run()
