"""A tiny webhook receiver on loopback, for notice tests.

It behaves as an NGO's receiver must: it stores each notice once, keyed by `Idempotency-Key`
(the receipt id), and answers 2xx for a repeat. It can be down (not listening), fail a number
of requests, or store a notice and then fail to answer (so the sender retries a notice that was
in fact received).
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    fail_next: int = 0  # answer 503 to this many requests, storing nothing
    lose_answer_once: bool = False  # store the first notice, then answer 500 anyway
    posts: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    stored: dict[str, str] = field(default_factory=dict)
    duplicates: int = 0
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/pds/notices"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                self.send_response(receiver.receive(body, dict(self.headers.items())))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def receive(self, body: str, headers: dict[str, str]) -> int:
        key = headers.get("Idempotency-Key", "")
        with self._lock:
            self.posts.append((key, body, headers))
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503
            if key in self.stored:
                self.duplicates += 1
                return 200
            self.stored[key] = body
            if self.lose_answer_once:
                self.lose_answer_once = False
                return 500
            return 200

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
