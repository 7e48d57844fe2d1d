"""Every docstring example in the library is run, so the examples stay true."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import reconcile

MODULES = sorted(m.name for m in pkgutil.walk_packages(reconcile.__path__, "reconcile.")
                 if ".migrations" not in m.name and m.name != "reconcile.__main__")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
