"""Files -> validated canonical frames: the SIGE nómina and the Libro Digital attendance.

Loaders never write to the database; they return every valid row and every
problem (``RowError``) found in one pass. ``reconcile.imports`` writes.
"""
from reconcile.loaders.courses import CourseCatalog, CourseRef
from reconcile.loaders.errors import MAX_FILE_BYTES, MAX_SHEET_ROWS, RowError
from reconcile.loaders.libro import LibroFile, read_libro
from reconcile.loaders.nomina import NominaFile, read_nomina

__all__ = ["CourseCatalog", "CourseRef", "LibroFile", "MAX_FILE_BYTES", "MAX_SHEET_ROWS",
           "NominaFile", "RowError", "read_libro", "read_nomina"]
