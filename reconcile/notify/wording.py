"""The Spanish of the mails: reasons, the close-risk line, and text + HTML from one
outline (every value escaped in the HTML). Nothing here reads the database.

>>> reason_es("caso_1"), reason_es("sin_registro"), reason_es("otra_cosa")
('Caso 1', 'sin registro de asistencia', 'otra cosa')
>>> days_es(1), days_es(18)
('1 día-curso', '18 días-curso')
>>> scrub("Alumno 12.531.909-2 y 100234567-2 sin matrícula")
'Alumno [RUT omitido] y [RUT omitido] sin matrícula'
"""
from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass, field
from datetime import timedelta

from reconcile.autopilot_summary import RIESGO, VENCIDO, Risk
from reconcile.db.models import SIN_REGISTRO
from reconcile.es_cl import duracion, fecha_hora
from reconcile.day_states import CAUSES_ES

MAX_LINES = 40  # per list: the rest is counted, and the panel has them all
PRIVACY_NOTE = ("Este correo no incluye RUT ni nombres de estudiantes: véalos en el panel, "
                "con su usuario.")
# A RUT as people or SIGE's messages write it: 12.345.678-5, 12345678-5, 100234567-K.
_RUT = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{3}){1,2}|\d{6,9})\s*-\s*[\dkK](?!\w)")
_OTHER_REASONS = {SIN_REGISTRO: "sin registro de asistencia",
                  "grado_retenido": "retenido con su grado",
                  "en_proceso": "en proceso en SIGE", "no_trabajado": "día no trabajado"}


def reason_es(key: str) -> str:
    """A held day's or an error's reason, short: «Caso 1», «Sin convenio»."""
    if key in CAUSES_ES:
        return CAUSES_ES[key].split(":")[0]
    return _OTHER_REASONS.get(key, key.replace("_", " "))


def reason_long_es(key: str) -> str:
    """The reason with its explanation when there is one: «Caso 1: faltan estudiantes…»."""
    return CAUSES_ES.get(key, reason_es(key))


def days_es(count: int) -> str:
    return f"{count} día-curso" if count == 1 else f"{count} días-curso"


def recipients_es(count: int) -> str:
    return "al destinatario" if count == 1 else f"a los {count} destinatarios"


def scrub(text: str) -> str:
    """Any RUT in ``text`` replaced: a line from elsewhere (SIGE's own words) may carry one."""
    return _RUT.sub("[RUT omitido]", text)


def risk_line(risk: Risk) -> str:
    """The close risk in plain Spanish, with its numbers."""
    close = fecha_hora(risk.close)
    pace = ("SIGE da el resultado final de un envío en menos de un minuto (percentil 90)"
            if risk.p90_minutes < 1 else
            f"SIGE tarda hasta {duracion(timedelta(minutes=risk.p90_minutes))} en dar el "
            f"resultado final de un envío (percentil 90)")
    held = ("" if not risk.held else
            " Además, 1 día-curso retenido no se enviará hasta que se corrija."
            if risk.held == 1 else
            f" Además, {risk.held} días-curso retenidos no se enviarán hasta que se corrijan.")
    if risk.level == VENCIDO:
        return (f"Cierre vencido: la declaración cerró el {close} y quedan "
                f"{days_es(risk.pending)} sin resultado final.{held}")
    if risk.forecast_final is None:
        state = f"No quedan días-curso por enviar. El cierre es el {close}."
    else:
        state = (f"Quedan {days_es(risk.pending)} por enviar o en proceso; {pace}, así que "
                 f"el último tendría su resultado el {fecha_hora(risk.forecast_final)}. El cierre "
                 f"es el {close}.")
    if risk.level == RIESGO:
        return f"Riesgo de no llegar al cierre. {state}{held}"
    return f"A tiempo para el cierre. {state}{held}"


@dataclass
class Section:
    """A titled list; ``more`` counts the lines left out (see ``MAX_LINES``)."""

    title: str
    lines: list[str] = field(default_factory=list)
    empty: str = ""  # what to say when the list is empty

    def capped(self) -> tuple[list[str], int]:
        return self.lines[:MAX_LINES], max(0, len(self.lines) - MAX_LINES)


@dataclass
class Outline:
    heading: str
    paragraphs: list[str]
    sections: list[Section]
    link: str  # the panel's address
    footer: list[str] = field(default_factory=list)


def render(outline: Outline) -> tuple[str, str]:
    """Plain text and HTML of the same outline."""
    return _text(outline), _html(outline)


def _wrap(text: str, indent: str = "", first: str = "") -> str:
    """Lines of at most 78 characters (mail's habit); an address is never cut."""
    return textwrap.fill(text, 78, initial_indent=first or indent, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)


def _text(outline: Outline) -> str:
    out = [outline.heading, "=" * len(outline.heading), ""]
    for paragraph in outline.paragraphs:
        out += [_wrap(paragraph), ""]
    for section in outline.sections:
        out += [section.title, "-" * len(section.title)]
        lines, more = section.capped()
        out += [_wrap(line, "    ", "  • ") for line in lines] or [f"  {section.empty}"]
        if more:
            out.append(f"  … y {more} más (véalos en el panel).")
        out.append("")
    out += [f"Abrir el panel: {outline.link}", ""]
    out += [_wrap(line) for line in outline.footer]
    return "\n".join(out).rstrip() + "\n"


def _html(outline: Outline) -> str:
    esc = html.escape
    out = ['<!DOCTYPE html>', '<html lang="es-CL"><head><meta charset="utf-8">',
           f"<title>{esc(outline.heading)}</title></head>",
           '<body style="font-family: sans-serif; color: #1a1a1a; max-width: 42em">',
           f"<h1 style=\"font-size: 1.3em\">{esc(outline.heading)}</h1>"]
    out += [f"<p>{esc(paragraph)}</p>" for paragraph in outline.paragraphs]
    for section in outline.sections:
        out.append(f"<h2 style=\"font-size: 1.1em\">{esc(section.title)}</h2>")
        lines, more = section.capped()
        if lines:
            out.append("<ul>" + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul>")
        else:
            out.append(f"<p>{esc(section.empty)}</p>")
        if more:
            out.append(f"<p>… y {more} más (véalos en el panel).</p>")
    out.append(f'<p><a href="{esc(outline.link, quote=True)}">Abrir el panel</a> '
               f"({esc(outline.link)})</p>")
    out += [f'<p style="color: #555; font-size: 0.9em">{esc(line)}</p>'
            for line in outline.footer]
    out.append("</body></html>")
    return "\n".join(out) + "\n"
