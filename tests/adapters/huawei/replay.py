"""Contract-test helpers: a loopback server that answers recorded (fixture) answers, and a shape comparison
between a fixture answer and what the simulator serves.

The replay server is a vendor, not a mock of our code: the real adapter talks HTTP to it, exactly as to the
live cloud. Each interface path answers from a queue of (HTTP status, body text) pairs; the last one
repeats. A login answers `tests/fixtures/huawei/login.json` with the token in a cookie only (FIELD_NOTES H19).
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "huawei"
API = "/rest/openapi/pvms/v1/"
TOKEN = "x-replayed-token"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


class ReplayCloud:
    def __init__(self) -> None:
        self.answers: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.requests: list[tuple[str, dict[str, Any], str | None]] = []  # (interface, body, token)
        self.answer("login", fixture("login.json"))
        cloud = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                name = self.path.removeprefix(API)
                cloud.requests.append((name, json.loads(raw or b"{}"), self.headers.get("XSRF-TOKEN")))
                queue = cloud.answers.get(name) or [(404, "")]
                status, text = queue.pop(0) if len(queue) > 1 else queue[0]
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if name == "login" and status == 200 and text.strip():
                    self.send_header("Set-Cookie", f"XSRF-TOKEN={TOKEN}; Path=/; Secure")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, name: str, *bodies: dict[str, Any] | str, status: int = 200) -> None:
        """Interface `name` answers these bodies in turn (the last one from then on)."""
        self.answers[name] = [(status, b if isinstance(b, str) else json.dumps(b)) for b in bodies]

    def calls(self, name: str) -> list[dict[str, Any]]:
        return [body for n, body, _ in self.requests if n == name]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- shapes ------------------------------------------------------------------------------------------------

MISSING = "missing"


def kind(value: Any) -> Any:
    """What a value is, in the field's terms: a number (also as a numeric string), missing (null, "N/A",
    "", {}), text, a list of row shapes, or an object of key shapes."""
    if value is None or value in ("N/A", "", {}):
        return MISSING
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return "text"
        return "number"
    if isinstance(value, list):
        return [kind(v) for v in value[:1]]
    if isinstance(value, dict):
        return {k: kind(v) for k, v in value.items()}
    return type(value).__name__


def shape_mismatches(recorded: Any, served: Any, path: str = "") -> list[str]:
    """Where the simulator's answer differs in shape from the recorded one: a key the recording has and the
    simulator lacks, or a value of another kind. Missing values match anything (the field sends them
    for any field); keys only the simulator has are fine (the adapter ignores unknown keys)."""
    a, b = kind(recorded), kind(served)
    return _compare(a, b, path or "$")


def _compare(a: Any, b: Any, path: str) -> list[str]:
    if a == MISSING or b == MISSING:
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        problems = []
        for key, value in a.items():
            if key not in b:
                problems.append(f"{path}.{key}: recorded, not served")
            else:
                problems.extend(_compare(value, b[key], f"{path}.{key}"))
        return problems
    if isinstance(a, list) and isinstance(b, list):
        return _compare(a[0], b[0], f"{path}[0]") if a and b else []
    return [] if a == b else [f"{path}: recorded {a!r}, served {b!r}"]
