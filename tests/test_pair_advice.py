"""Every pair kind says which side is outdated, what is sent meanwhile and where to fix it."""
from __future__ import annotations

import pytest

from reconcile.pair_advice import LIBRO, SIGE, advice

RUN, IPE = "25123456-6", "100234567-2"


@pytest.mark.parametrize(("reason", "libro", "sige", "kind", "outdated", "fix_in", "words"), [
    ("provisional", IPE, RUN, "ipe_in_libro", LIBRO, LIBRO, "Reemplace el IPE por el RUN"),
    ("provisional", RUN, IPE, "ipe_in_sige", SIGE, SIGE, "actualizar en SIGE el RUN"),
    ("name", RUN, IPE, "ipe_in_sige", SIGE, SIGE, "No cambie el Libro Digital"),
    ("manual", RUN, IPE, "ipe_in_sige", SIGE, SIGE, "No cambie el Libro Digital"),
    ("check_digit", "25123456-5", RUN, "check_digit", LIBRO, LIBRO, "dígito verificador"),
    ("name", "25-A", RUN, "name", None, LIBRO, "Debe revisarlo una persona"),
    ("manual", "22876123-1", RUN, "manual", LIBRO, LIBRO, "Libro Digital"),
])
def test_each_kind(reason, libro, sige, kind, outdated, fix_in, words):
    said = advice(reason, libro, sige)
    assert (said.kind, said.outdated, said.fix_in) == (kind, outdated, fix_in)
    assert words in said.fix
    assert "se envía a SIGE el RUT que SIGE tiene matriculado" in said.sent


def test_the_ipe_threshold_is_the_schools():
    # with a higher threshold, a 9-digit body is a RUN: no longer an IPE in SIGE
    assert advice("provisional", RUN, IPE, provisional_min_body=200_000_000).kind == \
        "ipe_in_libro"


def test_a_reversed_pair_never_advises_changing_the_libro():
    said = advice("provisional", RUN, IPE)
    assert "Corrija" not in said.fix and said.where.startswith("SIGE")
    assert "(el IPE, hasta que SIGE lo actualice)" in said.sent
