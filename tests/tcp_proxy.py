"""A TCP proxy the tests put in front of PostgreSQL to cut it off and bring it back.

``cut()`` closes every live connection and then either refuses new ones (accepted and
closed at once, as a server that is down) or blackholes them (accepted and never
answered, as a network that lost the server); ``restore()`` lets connections through
again. ``cut_on(pattern, count)`` makes the proxy cut itself when the client's traffic
carries ``pattern`` for the ``count``-th time (the chunk carrying it never arrives):
an outage in the middle of a given statement. ``attempts`` counts the connections
tried while cut (a client that spins shows up there).
"""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

REFUSE = "refuse"
BLACKHOLE = "blackhole"


class TcpProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._live: list[socket.socket] = []
        self._cut: str | None = None
        self._pattern: tuple[bytes, int] | None = None
        self._seen = 0
        self.attempts = 0  # connections tried while cut
        self._closed = False

    # --- the test's side -------------------------------------------------------------

    def url(self, database: str) -> str:
        return (f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"
                "?sslmode=disable&connect_timeout=2")

    @property
    def is_cut(self) -> bool:
        return self._cut is not None

    def cut(self, mode: str = REFUSE) -> None:
        with self._lock:
            self._cut = mode
            self.attempts = 0
            live, self._live = self._live, []
        for sock in live:
            _close(sock)

    def restore(self) -> None:
        with self._lock:
            self._cut = None
            held, self._live = self._live, []
        for sock in held:  # blackholed clients: let them fail and connect again
            _close(sock)

    def cut_on(self, pattern: bytes, count: int = 1) -> None:
        with self._lock:
            self._pattern, self._seen = (pattern, count), 0

    def start(self) -> TcpProxy:
        threading.Thread(target=self._accept, daemon=True, name="proxy").start()
        return self

    def close(self) -> None:
        self._closed = True
        _close(self._listener)
        self.cut()

    # --- the proxy's side ------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                mode = self._cut
                if mode is not None:
                    self.attempts += 1
                if mode == BLACKHOLE:
                    self._live.append(client)
            if mode == REFUSE:
                _close(client)
            elif mode is None:
                self._connect(client)

    def _connect(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.target, timeout=5)
        except OSError:
            _close(client)
            return
        server.settimeout(None)
        with self._lock:
            self._live += [client, server]
        threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, upstream: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if upstream and self._trips(chunk):
                    self.cut()
                    return
                sink.sendall(chunk)
        except OSError:
            pass
        _close(source)
        _close(sink)

    def _trips(self, chunk: bytes) -> bool:
        with self._lock:
            if self._pattern is None or self._pattern[0] not in chunk:
                return False
            self._seen += chunk.count(self._pattern[0])
            if self._seen < self._pattern[1]:
                return False
            self._pattern = None
            return True


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@contextmanager
def proxy_to(host: str, port: int) -> Iterator[TcpProxy]:
    proxy = TcpProxy((host, port)).start()
    try:
        yield proxy
    finally:
        proxy.close()
