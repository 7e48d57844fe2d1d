"""The emulator's persistent state, in its own SQLite file (stdlib sqlite3).

It keeps: semillas issued, every call received (with the fault injected, if any),
every send received with its answer and report, and what SIGE holds for each
(date, course): the latest send whose course was accepted (or, in grade-replace
mode, whose grade-day it replaced: ``finish_send``). Survives restarts.
One connection shared by the server's threads, behind a lock: every operation
is short.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS semilla (
    value TEXT PRIMARY KEY, convenio TEXT NOT NULL, issued_at REAL NOT NULL,
    expires_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS call (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, operation TEXT NOT NULL,
    fault TEXT, send_id INTEGER);
CREATE TABLE IF NOT EXISTS send (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ticket TEXT UNIQUE, received_at REAL NOT NULL,
    received_clock TEXT NOT NULL, rbd INTEGER, year INTEGER, cod_ense INTEGER, cod_grado INTEGER,
    day TEXT, courses TEXT NOT NULL, answer_code INTEGER NOT NULL, answer_messages TEXT NOT NULL,
    ready_at REAL, processed INTEGER NOT NULL DEFAULT 0, report_code INTEGER,
    report_messages TEXT, clean_courses TEXT);
CREATE TABLE IF NOT EXISTS holding (
    rbd INTEGER NOT NULL, cod_ense INTEGER NOT NULL, cod_grado INTEGER NOT NULL,
    letra TEXT NOT NULL, day TEXT NOT NULL, send_id INTEGER NOT NULL,
    PRIMARY KEY (rbd, cod_ense, cod_grado, letra, day));
CREATE INDEX IF NOT EXISTS ix_send_pending ON send (processed, ready_at);
"""

SEND_COLUMNS = ("id", "ticket", "received_at", "received_clock", "rbd", "year", "cod_ense",
                "cod_grado", "day", "courses", "answer_code", "answer_messages", "ready_at",
                "processed", "report_code", "report_messages", "clean_courses")
_JSON_COLUMNS = {"courses", "answer_messages", "report_messages", "clean_courses"}


class EmulatorStore:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL keeps it consistent; a demo needs no fsync per call
        self._db.executescript(SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- semillas ------------------------------------------------------------------------

    def add_semilla(self, value: str, convenio: str, issued_at: float, expires_at: float) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO semilla VALUES (?, ?, ?, ?, 0)",
                       (value, convenio, issued_at, expires_at))

    def semilla(self, value: str) -> tuple[str, float, bool] | None:
        """(convenio, expires_at, revoked) or None when never issued."""
        with self._lock:
            row = self._db.execute("SELECT convenio, expires_at, revoked FROM semilla WHERE value = ?",
                                   (value,)).fetchone()
        return None if row is None else (row[0], row[1], bool(row[2]))

    def revoke_semilla(self, value: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE semilla SET revoked = 1 WHERE value = ?", (value,))

    def revoke_all_semillas(self) -> int:
        with self.transaction() as db:
            return db.execute("UPDATE semilla SET revoked = 1 WHERE revoked = 0").rowcount

    def issued_semillas(self) -> list[str]:
        with self._lock:
            return [row[0] for row in self._db.execute("SELECT value FROM semilla ORDER BY issued_at")]

    # --- calls and sends -----------------------------------------------------------------

    def add_call(self, at: float, operation: str, fault: str | None, send_id: int | None) -> int:
        with self.transaction() as db:
            return db.execute("INSERT INTO call (at, operation, fault, send_id) VALUES (?, ?, ?, ?)",
                              (at, operation, fault, send_id)).lastrowid

    def add_send(self, **values: object) -> int:
        """Insert a received send; a ticket, if any, is derived from the row id."""
        row = {k: (json.dumps(v, ensure_ascii=False) if k in _JSON_COLUMNS and v is not None else v)
               for k, v in values.items()}
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self.transaction() as db:
            return db.execute(f"INSERT INTO send ({columns}) VALUES ({marks})",
                              tuple(row.values())).lastrowid

    def set_ticket(self, send_id: int, ticket: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE send SET ticket = ? WHERE id = ?", (ticket, send_id))

    def _send_rows(self, where: str = "", args: tuple = ()) -> list[dict]:
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(SEND_COLUMNS)} FROM send {where} ORDER BY id",
                                    args).fetchall()
        sends = []
        for row in rows:
            item = dict(zip(SEND_COLUMNS, row))
            for key in _JSON_COLUMNS:
                if item[key] is not None:
                    item[key] = json.loads(item[key])
            item["processed"] = bool(item["processed"])
            sends.append(item)
        return sends

    def sends(self) -> list[dict]:
        return self._send_rows()

    def send_by_ticket(self, ticket: str) -> dict | None:
        found = self._send_rows("WHERE ticket = ?", (ticket,))
        return found[0] if found else None

    def due_sends(self, now: float) -> list[dict]:
        return self._send_rows("WHERE ticket IS NOT NULL AND processed = 0 AND ready_at <= ?", (now,))

    def finish_send(self, send: dict, report_code: int, groups: list, clean: list[str],
                    replace_grade: bool = False) -> None:
        """Store the report and, for each clean course, make this send what SIGE holds
        unless a later send already holds it. ``replace_grade``: the send also erases
        the grade-day's letters it does not carry clean that an earlier send put
        there (a later send's stay: the latest send wins, as per letter)."""
        grade_day = (send["rbd"], send["cod_ense"], send["cod_grado"], send["day"])
        with self.transaction() as db:
            db.execute("UPDATE send SET processed = 1, report_code = ?, report_messages = ?, "
                       "clean_courses = ? WHERE id = ?",
                       (report_code, json.dumps(groups, ensure_ascii=False), json.dumps(clean),
                        send["id"]))
            if replace_grade:
                marks = ", ".join("?" for _ in clean)
                db.execute("DELETE FROM holding WHERE rbd = ? AND cod_ense = ? AND cod_grado = ? "
                           "AND day = ? AND send_id < ?"
                           + (f" AND letra NOT IN ({marks})" if clean else ""),
                           (*grade_day, send["id"], *clean))
            for letra in clean:
                db.execute(
                    "INSERT INTO holding VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (rbd, cod_ense, cod_grado, letra, day) DO UPDATE "
                    "SET send_id = excluded.send_id WHERE excluded.send_id > holding.send_id",
                    (send["rbd"], send["cod_ense"], send["cod_grado"], letra, send["day"], send["id"]))

    def calls(self) -> list[dict]:
        with self._lock:
            rows = self._db.execute("SELECT id, at, operation, fault, send_id FROM call ORDER BY id")
            return [dict(zip(("id", "at", "operation", "fault", "send_id"), r)) for r in rows]

    def holdings(self) -> list[dict]:
        with self._lock:
            rows = self._db.execute(
                "SELECT rbd, cod_ense, cod_grado, letra, day, send_id FROM holding "
                "ORDER BY day, rbd, cod_ense, cod_grado, letra").fetchall()
        keys = ("rbd", "cod_ense", "cod_grado", "letra", "day", "send_id")
        return [dict(zip(keys, r)) for r in rows]
