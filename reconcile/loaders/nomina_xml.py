"""The SIGE XML export of the nómina, parsed safely (defusedxml: no entities, no DTD,
no external resources).

Layout: ``tipo_ensenanza[@codigo] > curso[@grado, @letra] > alumno[@run, @digito_ve,
...]``; RBD and year are taken from any ancestor's attributes (e.g. the root's
``rbd`` and ``ano``). Fields may also come as child elements of ``alumno``. Each
record's row number is the line of its ``<alumno>`` tag. Which names are which
field is the columns the caller hands in (the nómina's reader: its ``COLUMNS``).
"""
from __future__ import annotations

from xml.etree.ElementTree import ParseError

import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from reconcile.loaders.errors import file_error
from reconcile.loaders.headers import Column, match_row
from reconcile.loaders.sources import SourceProblem
from reconcile.loaders.values import header_key

# Attribute names that mean something else on a given element.
_ELEMENT_FIELDS = {
    "tipoensenanza": {"codigo": "cod_ense", "cod": "cod_ense"},
    "curso": {"grado": "cod_grado", "codgrado": "cod_grado", "letra": "letra",
              "descgrado": "desc_grado", "desc": "desc_grado", "descripcion": "desc_grado"},
}
_ROOT_FIELDS = {"ano": "year", "anio": "year", "agno": "year", "year": "year"}
_STUDENT = "alumno"
MAX_DEPTH = 100  # nested elements: SIGE's export has five levels


def _local(tag: str) -> str:
    return header_key(tag.rsplit("}", 1)[-1])


class _Collector:
    """An expat target that keeps one flat record per ``alumno``."""

    def __init__(self, name: str, columns: list[Column]) -> None:
        self.name = name
        self.columns = columns
        self.parser: DefusedXMLParser | None = None
        self.stack: list[tuple[str, dict[str, object]]] = []
        self.records: list[dict[str, object]] = []
        self.lines: list[int] = []
        self.written: dict[str, str] = {}
        self._text: list[str] = []

    def _fields(self, element: str, attrs: dict[str, str]) -> dict[str, object]:
        special = _ELEMENT_FIELDS.get(element, {})
        fields: dict[str, object] = {}
        general_names = []
        for attr, value in attrs.items():
            key = _local(attr)
            if key in special:
                fields[special[key]] = value
                self.written.setdefault(special[key], attr)
            elif key in _ROOT_FIELDS:
                fields["year"] = value
                self.written.setdefault("year", attr)
            else:
                general_names.append((attr, value))
        positions, written = match_row([a for a, _ in general_names], self.columns)
        for field_name, position in positions.items():
            fields.setdefault(field_name, general_names[position][1])
            self.written.setdefault(field_name, written[field_name])
        return fields

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if len(self.stack) >= MAX_DEPTH:  # each student copies its ancestors' fields
            raise SourceProblem(file_error(self.name, f"el XML anida más de {MAX_DEPTH} "
                                                      "niveles de elementos; la nómina SIGE "
                                                      "tiene unos pocos"))
        element = _local(tag)
        self.stack.append((element, self._fields(element, attrs)))
        self._text = []
        if element == _STUDENT:
            self.lines.append(self.parser.parser.CurrentLineNumber)

    def data(self, text: str) -> None:
        self._text.append(text)

    def end(self, tag: str) -> None:
        element, fields = self.stack.pop()
        if element == _STUDENT:
            record: dict[str, object] = {}
            for _, outer in self.stack:
                record.update(outer)
            record.update(fields)
            self.records.append(record)
        elif self.stack and self.stack[-1][0] == _STUDENT:
            # <alumno><run>123</run>...: a child element as a field
            positions, written = match_row([tag.rsplit("}", 1)[-1]], self.columns)
            for field_name in positions:
                self.stack[-1][1].setdefault(field_name, "".join(self._text).strip())
                self.written.setdefault(field_name, written[field_name])
        self._text = []

    def close(self) -> None:
        return None


def xml_records(data: bytes, name: str, columns: list[Column]
                ) -> tuple[pd.DataFrame, dict[str, str]]:
    """One raw record per ``alumno`` (index = its line), fields named by ``columns``
    (plus the course and year attributes), and each field's name as written."""
    collector = _Collector(name, columns)
    parser = DefusedXMLParser(target=collector, forbid_dtd=True)
    collector.parser = parser
    try:
        parser.feed(data)
        parser.close()
    except SourceProblem:
        raise
    except DefusedXmlException:
        raise SourceProblem(file_error(name, "el XML declara entidades o DTD, que no se "
                                             "aceptan por seguridad")) from None
    except ParseError as problem:
        line, column = problem.position
        raise SourceProblem(file_error(name, f"XML mal formado en la línea {line}, columna "
                                             f"{column + 1}")) from None
    except Exception as problem:  # noqa: BLE001 - the parser on hostile bytes
        raise SourceProblem(file_error(name, "no se pudo leer como XML "
                                             f"({type(problem).__name__})")) from None
    if not collector.records:
        raise SourceProblem(file_error(name, "el XML no tiene elementos «alumno»"))
    frame = pd.DataFrame.from_records(collector.records, index=collector.lines).astype(object)
    frame = frame.where(pd.notna(frame), None)
    return frame, collector.written
