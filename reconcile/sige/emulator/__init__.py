"""The project's own SIGE stand-in: a real HTTP server speaking SIGE_PROTOCOL.md.

>>> from reconcile.sige.emulator import Emulator, Enrolment, ConvenioGrant, serve_in_thread
"""
from reconcile.sige.emulator.faults import FaultPlan
from reconcile.sige.emulator.server import EmulatorServer, RunningEmulator, serve_in_thread
from reconcile.sige.emulator.service import ConvenioGrant, Emulator, WireReply
from reconcile.sige.emulator.store import EmulatorStore
from reconcile.sige.emulator.truth import (
    Enrolment,
    EnrolmentRecord,
    NominaUnavailable,
    from_nomina_frame,
    load_nomina,
)

__all__ = [
    "ConvenioGrant", "Emulator", "EmulatorServer", "EmulatorStore", "Enrolment", "EnrolmentRecord",
    "FaultPlan", "NominaUnavailable", "RunningEmulator", "WireReply", "from_nomina_frame",
    "load_nomina", "serve_in_thread",
]
