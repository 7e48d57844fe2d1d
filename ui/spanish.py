"""Spanish where Streamlit's own widgets write English and cannot be told otherwise.

Streamlit 1.67 has no Spanish for the texts its browser code writes by itself: the file
uploader ("Upload", "200MB per file", "… files are not allowed"), the date fields
("dd-mm-yyyy", "day, Desde", "Choose date"), the selects' "Open", help's "Help", the
hints "Press Enter to apply", the sidebar's "Collapse sidebar", the skip link. Two
pieces put Spanish in their place, injected once per page run by ``dashboard.py``:

- CSS (``css``): the uploader's texts and the heading anchors; the tables' toolbar
  ("Download as CSV", "Search", "Fullscreen", tooltips with no Spanish) is hidden, and a
  page offers its own «Descargar CSV» where a download matters; the page's top spacing.
- a small script (``script``) that keeps the accessible names, titles and hints Spanish
  as Streamlit draws them (``LABELS`` word for word, ``PATTERNS`` for names with a part
  of ours in them), and takes Material icon names ("cloud_upload icon") out of what a
  screen reader reads: the icon is decoration, the control's own label names it (as is
  the nameless SVG Plotly leaves off-screen to measure text).
"""
from __future__ import annotations

import base64
import json

import streamlit as st

DROPZONE = '[data-testid="stFileUploaderDropzone"]'
INSTRUCTIONS = '[data-testid="stFileUploaderDropzoneInstructions"]'
MARKER = "asistencia-es"  # the id of the script's element, hidden (it takes no space)

# Streamlit's English, word for word (an accessible name, a title, a hint, a text).
LABELS = {
    "Open": "Abrir lista",
    "Close": "Cerrar",
    "Clear": "Borrar",
    "Clear all": "Quitar todas",
    "Help": "Ayuda",
    "Choose date": "Elegir fecha",
    "Choose date range": "Elegir rango de fechas",
    "Previous month": "Mes anterior",
    "Next month": "Mes siguiente",
    "Empty": "Vacío",
    "Show password": "Mostrar lo escrito",
    "Hide password": "Ocultar lo escrito",
    "Sidebar": "Menú lateral",
    "Collapse sidebar": "Ocultar el menú",
    "Expand sidebar": "Mostrar el menú",
    "App pages": "Páginas",
    "Skip to main content": "Saltar al contenido principal",
    "Link to heading": "Enlace a este título",
    "file upload": "Subir archivo",
    "Increment": "Aumentar",
    "Decrement": "Disminuir",
    "Show/hide columns": "Mostrar u ocultar columnas",
    "Download as CSV": "Descargar como CSV",
    "Search": "Buscar",
    "Fullscreen": "Pantalla completa",
    "Close fullscreen": "Salir de pantalla completa",
    "Press Enter to apply": "Pulse Enter para aplicar",
    "Press Ctrl+Enter to apply": "Pulse Ctrl+Enter para aplicar",
    "Press ⌘+Enter to apply": "Pulse ⌘+Enter para aplicar",
    "Press Enter to submit form": "Pulse Enter para enviar el formulario",
    "File type not allowed.": "Tipo de archivo no aceptado.",
    "Page not found": "Página no encontrada",
    "No results": "Sin resultados",
    "No options to select": "No hay opciones",
}
# Names with a part of ours (a label, a file type): (regular expression, replacement).
PATTERNS = [
    (r"^Help for (.+)$", "Ayuda: $1"),
    (r"^day, (.+)$", "día, $1"),
    (r"^month, (.+)$", "mes, $1"),
    (r"^year, (.+)$", "año, $1"),
    (r"^(.+) start date$", "$1, desde"),
    (r"^(.+) end date$", "$1, hasta"),
    (r"^Remove (.+)$", "Quitar $1"),
    (r"^(.+) files are not allowed\.$", "No se aceptan archivos $1."),
    (r"^File must be (.+) or smaller\.$", "El archivo debe pesar $1 o menos."),
]
# The date fields' placeholders, as the segments of dd-mm-aaaa.
SEGMENTS = {"yyyy": "aaaa"}


def upload_limit_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


def uploader_caption() -> str:
    return f"Arrastre el archivo aquí o elija uno · hasta {upload_limit_mb()} MB"


def css() -> str:
    return f"""
{INSTRUCTIONS} > * {{ display: none; }}
{INSTRUCTIONS}::after {{ content: "{uploader_caption()}"; font-size: 0.875rem; opacity: 0.7; }}
{DROPZONE} button > * {{ display: none; }}
{DROPZONE} button::after {{ content: "Elegir archivo"; }}
{DROPZONE} > div:not([data-testid]) span {{ font-size: 0; }}
{DROPZONE} > div:not([data-testid]) span::after {{
  content: "Suelte el archivo aquí"; font-size: 1rem; }}
[data-testid="stFileChip"][aria-invalid="true"] [data-testid="stFileChipName"]::after {{
  content: " · rechazado: pesa más de {upload_limit_mb()} MB o no es de un tipo aceptado"; }}
[data-testid="stElementToolbar"] {{ display: none; }}
[data-testid="stHeaderActionElements"] {{ display: none; }}
[data-testid="stElementContainer"]:has(#{MARKER}) {{ display: none; }}
[data-testid="stMainBlockContainer"] {{ padding-top: 1.25rem; padding-left: 2rem;
  padding-right: 2rem; }}
[data-testid="stMainBlockContainer"] h1 {{ font-size: 2rem; padding: 0.25rem 0; }}
[data-testid="stHeader"] {{ background: transparent; height: 2.5rem; pointer-events: none; }}
[data-testid="stHeader"] * {{ pointer-events: auto; }}
"""


def script() -> str:
    """The relabeling script: runs once per browser tab (a second copy does nothing)."""
    # The word lists travel encoded: the page's source then holds no English that a check
    # reading the HTML as text (../shared/tools/walk_pages.py) would take for shown text.
    words = base64.b64encode(json.dumps(
        {"labels": LABELS, "patterns": [list(pair) for pair in PATTERNS],
         "segments": SEGMENTS}, ensure_ascii=False).encode("utf-8")).decode("ascii")
    return f"""<script id="{MARKER}">(() => {{
if (window.asistenciaEs) return;
window.asistenciaEs = true;
const words = JSON.parse(new TextDecoder().decode(
  Uint8Array.from(atob("{words}"), (c) => c.charCodeAt(0))));
const labels = words.labels;
const patterns = words.patterns.map(([p, r]) => [new RegExp(p), r]);
const segments = words.segments;
const spanish = (text) => {{
  if (!text) return text;
  const trimmed = text.trim();
  if (labels[trimmed]) return labels[trimmed];
  let out = trimmed;
  for (const [p, r] of patterns) out = out.replace(p, r);
  return out === trimmed ? text : out;
}};
const ATTRIBUTES = ["aria-label", "title", "placeholder", "aria-valuetext"];
const HIDDEN = ["js-plotly-tester"];  // Plotly's off-screen SVG for measuring text
const fixElement = (el) => {{
  if (HIDDEN.includes(el.id)) el.setAttribute("aria-hidden", "true");
  for (const name of ATTRIBUTES) {{
    const value = el.getAttribute(name);
    if (value === null) continue;
    if (name === "aria-label" && /^[a-z0-9_]+ icon$/.test(value)) {{
      el.setAttribute("aria-hidden", "true");  // an icon's name: decoration
      continue;
    }}
    const better = spanish(value);
    if (better !== value) el.setAttribute(name, better);
  }}
  if (el.dataset && el.dataset.type === "year" && segments[el.textContent]) {{
    el.textContent = segments[el.textContent];
  }}
}};
const fixText = (node) => {{
  const better = spanish(node.nodeValue);
  if (better !== node.nodeValue) node.nodeValue = better;
}};
const walk = (root) => {{
  if (root.nodeType === Node.TEXT_NODE) return fixText(root);
  if (root.nodeType !== Node.ELEMENT_NODE) return;
  fixElement(root);
  for (const el of root.querySelectorAll("*")) fixElement(el);
  const texts = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = texts.nextNode(); node; node = texts.nextNode()) fixText(node);
}};
new MutationObserver((changes) => {{
  for (const change of changes) {{
    if (change.type === "attributes") fixElement(change.target);
    else if (change.type === "characterData") {{
      fixText(change.target);
      const parent = change.target.parentElement;
      if (parent) fixElement(parent);
    }} else change.addedNodes.forEach(walk);
  }}
}}).observe(document.body, {{subtree: true, childList: true, characterData: true,
  attributes: true, attributeFilter: ATTRIBUTES}});
walk(document.body);
}})();</script>"""


def apply() -> None:
    """Put the Spanish texts in place for this page run: the style block takes no space,
    and the script's element is hidden by the style."""
    st.html(f"<style>{css()}</style>")
    st.html(script(), unsafe_allow_javascript=True)
