"""A real webhook receiver: an HTTP server on loopback in a thread of the test process.

It records every request (headers and raw body) and answers from a script: `receiver.answer(500, 500, 500)`
makes the next three requests get 500, then 200 again; an entry may be (status, headers) or
("sleep", seconds) to answer 200 only after a pause (longer than WEBHOOK_TIMEOUT_S: a timeout).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connections

from tests.dispatch.engine.conftest import engine_settings, start_engine, world  # noqa: F401 (fixtures)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    script: list = field(default_factory=list)
    on_request: Callable[[Received], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    errors: list[BaseException] = field(default_factory=list)

    def answer(self, *entries) -> None:
        with self.lock:
            self.script.extend(entries)

    def _next(self):
        with self.lock:
            return self.script.pop(0) if self.script else 200

    def events(self) -> list[dict]:
        with self.lock:
            return [r.json for r in self.requests]


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.WEBHOOK_URL_ALLOW_PRIVATE = True  # the receiver listens on loopback
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            rec = holder["receiver"]
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received = Received(self.path, {k: v for k, v in self.headers.items()}, body)
            if rec.on_request is not None:
                try:
                    rec.on_request(received)
                except BaseException as exc:  # reported by the test, not lost in this thread
                    rec.errors.append(exc)
                finally:
                    connections.close_all()  # this thread's own database connection, if it opened one
            with rec.lock:
                rec.requests.append(received)
            entry = rec._next()
            headers: dict[str, str] = {}
            if isinstance(entry, tuple) and entry[0] == "sleep":
                time.sleep(entry[1])
                entry = 200
            elif isinstance(entry, tuple):
                entry, headers = entry
            self.send_response(entry)
            for name, value in headers.items():
                self.send_header(name, value)
            payload = b'{"ok": true}' if 200 <= entry < 300 else b'{"error": "no"}'
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder["receiver"]
    server.shutdown()
    server.server_close()
