"""The emulator's HTTP server: a real server on loopback (stdlib ThreadingHTTPServer).

SOAP ports answer POSTs as SIGE would. Inspection endpoints, for tests and demos
(JSON; they are not part of SIGE):

- ``GET  /_emulator/health``            ``{"ok": true}``
- ``GET  /_emulator/sends``             every send received, with answer and report
- ``GET  /_emulator/calls``             every SOAP call, with the fault injected
- ``GET  /_emulator/holdings``          what SIGE holds per (date, course)
- ``POST /_emulator/expire-semillas``   expire every semilla issued so far
- ``POST /_emulator/faults``            body ``{"rate": 0.3}``: change the fault rate
"""
from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from reconcile.sige.emulator.service import Emulator, WireReply
from reconcile.sige.emulator.wire import PORTS

log = logging.getLogger(__name__)

INSPECT = "/_emulator/"
MAX_BODY = 10 * 1024 * 1024


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SIGE-Emulador/1.0"
    server: EmulatorServer

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes: without this, Nagle's algorithm
        # and the client's delayed ACK add ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        # Request line and status only: never a body (credentials, semillas, RUTs live there).
        log.debug("%s %s", self.address_string(), format % args)

    def _read_body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self._send(WireReply(413, b"", "text/plain"))
            return None
        return self.rfile.read(length) if length else b""

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        path = self.path.split("?", 1)[0]
        body = self._read_body()
        if body is None:
            return
        if path.startswith(INSPECT):
            self._inspect_post(path, body)
        elif path in PORTS:
            self._send(self.server.emulator.handle(path, self.headers.get("SOAPAction"), body))
        else:
            self._send(WireReply(404, b"Not Found", "text/plain"))

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        path = self.path.split("?", 1)[0]
        emulator = self.server.emulator
        views = {
            "health": lambda: {"ok": True},
            "sends": emulator.sends,
            "calls": emulator.calls,
            "holdings": emulator.holdings,
        }
        view = views.get(path[len(INSPECT):]) if path.startswith(INSPECT) else None
        if view is None:
            self._send(WireReply(404, b"Not Found", "text/plain"))
            return
        self._json(200, view())

    def _inspect_post(self, path: str, body: bytes) -> None:
        emulator = self.server.emulator
        action = path[len(INSPECT):]
        if action == "expire-semillas":
            self._json(200, {"expired": emulator.expire_semillas()})
        elif action == "faults":
            try:
                emulator.faults.set_rate(float(json.loads(body or b"{}")["rate"]))
            except (ValueError, KeyError, TypeError):
                self._json(400, {"error": "se espera {\"rate\": número entre 0 y 1}"})
                return
            self._json(200, {"rate": emulator.faults.rate})
        else:
            self._send(WireReply(404, b"Not Found", "text/plain"))

    def _json(self, status: int, value: object) -> None:
        self._send(WireReply(status, json.dumps(value, ensure_ascii=False).encode("utf-8"),
                             "application/json; charset=utf-8"))

    def _send(self, reply: WireReply) -> None:
        if reply.delay > 0:
            # Sleep in this connection's thread only; the client has usually given up.
            threading.Event().wait(reply.delay)
        body = reply.body[: len(reply.body) // 2] if reply.truncate else reply.body
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("el cliente cerró la conexión antes de la respuesta")
            self.close_connection = True


@dataclass
class RunningEmulator:
    url: str
    emulator: Emulator
    server: EmulatorServer


@contextmanager
def serve_in_thread(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> Iterator[RunningEmulator]:
    """Run the emulator's HTTP server in a background thread (port 0: any free port)."""
    server = EmulatorServer((host, port), emulator)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="sige-emulator", daemon=True)
    thread.start()
    try:
        yield RunningEmulator(server.url, emulator, server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
