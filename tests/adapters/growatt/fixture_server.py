"""A loopback HTTP server that answers Growatt v1 paths with our field-shape fixtures
(tests/fixtures/growatt/): ``/v1/plant/details?plant_id=1201`` -> ``plant__details__1201.json``, else
``plant__details.json``. Real HTTP, so the adapter's whole call path (client, limiter, cache) runs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "growatt"
ID_PARAMS = ("plant_id",)


def fixture_name(path: str, params: dict[str, str]) -> str:
    base = path.removeprefix("/v1/").replace("/", "__")
    for name in ID_PARAMS:
        if params.get(name) and (FIXTURES / f"{base}__{params[name]}.json").exists():
            return f"{base}__{params[name]}.json"
    return f"{base}.json"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


class _Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            params.update(parse_qsl(self.rfile.read(length).decode()))
        name = fixture_name(url.path, params)
        body = (FIXTURES / name).read_bytes() if (FIXTURES / name).exists() else b""
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:  # quiet
        pass


@contextmanager
def fixture_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
