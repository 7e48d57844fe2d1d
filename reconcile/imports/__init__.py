"""Importing user files into the database: the SIGE nómina and the Libro Digital.

``import_sige`` and ``import_libro`` validate the whole file first (loaders), raise
``UserError`` with every problem and write nothing when anything is wrong, and
otherwise write in bulk within the caller's transaction. Importing the same file
twice changes no data (a new batch and audit entry record the attempt).
"""
from reconcile.imports.common import ImportSummary
from reconcile.imports.libro import import_libro
from reconcile.imports.sige import import_sige

__all__ = ["ImportSummary", "import_libro", "import_sige"]
