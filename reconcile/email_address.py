"""What an e-mail address is: one strict check for a user's address and the sender.

>>> address("  Ana.Perez@Colegio.CL ")
'Ana.Perez@colegio.cl'
>>> address("no-es-correo")
Traceback (most recent call last):
...
ValueError: no es una dirección de correo (falta la @)
>>> address("ana@colegio")
Traceback (most recent call last):
...
ValueError: el dominio «colegio» no es válido: use uno como colegio.cl
>>> sender("Asistencia SIGE <avisos@colegio.cl>"), sender("avisos@colegio.cl")
('Asistencia SIGE <avisos@colegio.cl>', 'avisos@colegio.cl')
>>> sender('"Asistencia Ñuñoa, SIGE" <avisos@colegio.cl>')
'"Asistencia Ñuñoa, SIGE" <avisos@colegio.cl>'
"""
from __future__ import annotations

import re
from email.headerregistry import Address
from email.utils import parseaddr

MAX_LENGTH = 254  # RFC 5321's path limit, the app_user.email column's width
# The local part: the dot-atom of RFC 5322 (no quoted strings: nobody types them).
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
# ``localhost`` is a real destination for a local relay and the demo's sender.
_SINGLE_LABEL_DOMAINS = {"localhost"}


def address(text: str) -> str:
    """The address as stored (the domain lower-cased), or ValueError saying why in Spanish."""
    value = (text or "").strip()
    if not value:
        raise ValueError("está vacía")
    if len(value) > MAX_LENGTH:
        raise ValueError(f"es demasiado larga (más de {MAX_LENGTH} caracteres)")
    if any(char.isspace() or not char.isprintable() for char in value):
        raise ValueError("no puede contener espacios")
    if value.count("@") != 1:
        raise ValueError("no es una dirección de correo (falta la @)" if "@" not in value
                         else "tiene más de una @")
    local, domain = value.split("@")
    if not _LOCAL.fullmatch(local) or len(local) > 64:
        raise ValueError(f"lo que va antes de la @ («{local}») no es válido")
    labels = domain.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels) or (
            len(labels) < 2 and domain.lower() not in _SINGLE_LABEL_DOMAINS):
        raise ValueError(f"el dominio «{domain}» no es válido: use uno como colegio.cl")
    if labels[-1].isdigit():
        raise ValueError(f"el dominio «{domain}» no es válido: use uno como colegio.cl")
    return f"{local}@{domain.lower()}"


def sender(text: str) -> str:
    """The From of the mails: an address, optionally with a name (``Nombre <dir>``)."""
    value = (text or "").strip()
    name, found = parseaddr(value)
    if not found or ("<" in value) != bool(re.search(r"<[^<>]+>\s*$", value)):
        raise ValueError("debe ser una dirección de correo, o «Nombre <dirección>»")
    checked = address(found)
    if any(char in name for char in "\r\n"):
        raise ValueError("el nombre no puede tener saltos de línea")
    return str(Address(display_name=name, addr_spec=checked)) if name else checked
