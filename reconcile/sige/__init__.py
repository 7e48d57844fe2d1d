"""SIGE's web service: the wire protocol (``envelopes``), the client (``client``),
the mapping of SIGE's messages to causes (``causes``) and a faithful local
stand-in (``emulator``). See SIGE_PROTOCOL.md."""
from reconcile.sige.client import (
    Credentials,
    ReportResult,
    SendResult,
    SigeClient,
    SigeCodes,
    SigeCredentialsRejected,
    SigeError,
    SigeRejected,
    SigeUnavailable,
)
from reconcile.sige.envelopes import AttendanceRecord, CourseAttendance, MessageGroup, Run

__all__ = [
    "AttendanceRecord", "CourseAttendance", "Credentials", "MessageGroup", "ReportResult", "Run",
    "SendResult", "SigeClient", "SigeCodes", "SigeCredentialsRejected", "SigeError",
    "SigeRejected", "SigeUnavailable",
]
