"""Python's cyclic garbage collector paused while a step makes many small objects.

The reconciliation builds tens of thousands of short-lived tuples, dicts and
lists (candidates, their evidence, people); an import, the spreadsheet's cells and
XML elements, then a dict per student. Each allocation counts towards a
collection, and a full collection walks every object of the process: in the
dashboard's process, with Streamlit, SQLAlchemy and plotly loaded, that is
hundreds of thousands of objects, a tenth of a second or more each time (an
eighth of a sostenedor's import pair, measured). Those objects do not form
cycles (reference counting frees them), so little is kept by not collecting
while the step runs (5 MB more at the peak of ten schools' imports). Reentrant
and thread-safe: the collector comes back when the last pausing step ends, and
only if it was on.
"""
from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pausing = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _pausing, _was_enabled
    with _lock:
        if _pausing == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pausing += 1
    try:
        yield
    finally:
        with _lock:
            _pausing -= 1
            if _pausing == 0 and _was_enabled:
                gc.enable()
